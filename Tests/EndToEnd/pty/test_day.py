"""Defects found in a day of batch work with the monitor (issue 12), each through the real binary."""
import os
import signal
import termios
import time

from harness import MonitorSession


def test_a_resize_repaints_a_quiet_screen_without_a_key(scheduler, open_monitor):
    scheduler.submit({"name": "quiet-job", "tasks": [{"name": "t", "command": ["true"]}]})
    monitor = open_monitor(100, 30)
    monitor.wait_for("quiet-job")
    monitor.wait_for("1/1")
    # tmux blanks (or reflows) a pane it resizes: the emulator starts from nothing, as the
    # user's screen does, and only what the monitor sends again shows.
    monitor.screen.reset()
    monitor.resize(120, 40)
    monitor.wait_for("quiet-job", timeout=5)
    assert monitor.line(0).startswith(" taskmon")
    assert "Jobs" in monitor.line(1)


def test_ctrl_backslash_quits_and_restores_the_tty(scheduler, open_monitor):
    job = scheduler.submit({"name": "keep-me", "tasks": [{"name": "sleeper", "command": ["sleep", "60"]}]})
    scheduler.wait_for_status(job, 0, "RUNNING")
    monitor = open_monitor()
    monitor.wait_for("keep-me")
    monitor.send("\x1c")
    code = monitor.wait_exit()
    assert code == 128 + signal.SIGQUIT
    modes = monitor.terminal_modes()
    assert modes & termios.ICANON and modes & termios.ECHO
    assert b"Crash" not in monitor.raw and b"Backtrace" not in monitor.raw
    # Keys typed after it are the shell's: nothing reaches the scheduler.
    os.write(monitor.fd, b"c\r")
    time.sleep(0.3)
    assert scheduler.task(job, 0)["task_status"] == "RUNNING"


def test_a_retried_task_makes_its_finished_job_active_again(scheduler, open_monitor):
    job = scheduler.submit({"name": "flaky", "tasks": [
        {"name": "once", "command": ["sh", "-c", "test -e \"$TASKMON_CHANNEL.again\" && sleep 30; touch \"$TASKMON_CHANNEL.again\"; exit 1"]}]})
    scheduler.wait(job)
    monitor = open_monitor()
    monitor.wait_for("flaky")
    row = monitor.find_row("flaky")
    monitor.wait_until(lambda: "100%" in monitor.line(row), what="job finished")
    scheduler.cli("retry", "%d/0" % job)
    scheduler.wait_for_status(job, 0, "RUNNING")
    monitor.wait_until(lambda: "100%" not in monitor.line(monitor.find_row("flaky")), timeout=5,
                       what="job no longer shown finished")
    assert "0/1" in monitor.line(monitor.find_row("flaky"))


def test_a_timed_out_task_opens_on_its_exception_and_a_finished_output_at_its_end(scheduler, open_monitor):
    lines = "; ".join("echo line-%d" % i for i in range(200))
    job = scheduler.submit({"name": "slow", "task_timeout": 1.0, "tasks": [
        {"name": "late", "command": ["sh", "-c", "sleep 30"]},
        {"name": "chatty", "command": ["sh", "-c", lines + "; echo the-error-at-the-end"]}]})
    scheduler.wait(job)
    monitor = open_monitor()
    monitor.open_task("slow", "late")
    monitor.wait_for("Type:")
    assert "TIMED_OUT" in monitor.line(1)
    monitor.send(MonitorSession.ESC, 0.3)
    monitor.select_row("chatty", below=2)
    monitor.send(MonitorSession.ENTER)
    monitor.send("1")
    monitor.wait_for("the-error-at-the-end")
    assert "line-0\n" not in monitor.text() + "\n"


def test_esc_ends_an_output_search_before_it_leaves_the_task(scheduler, open_monitor):
    job = scheduler.submit({"name": "log", "tasks": [
        {"name": "writer", "command": ["sh", "-c", "for i in $(seq 1 50); do echo row $i; done; echo needle; exit 0"]}]})
    scheduler.wait(job)
    monitor = open_monitor()
    monitor.open_task("log", "writer", tab=1)
    monitor.wait_for("needle")
    monitor.send("/needle")
    monitor.send(MonitorSession.ENTER, 0.3)
    monitor.send(MonitorSession.ESC, 0.3)
    # Still on the task: the search ended, the task did not.
    assert "Task %d/0" % job in monitor.line(1)
    monitor.send(MonitorSession.ESC, 0.3)
    monitor.wait_until(lambda: "tasks" in monitor.line(1), what="back on the list")
