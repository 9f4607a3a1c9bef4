"""The monitor as a user drives it: open, navigate, read a trace, cancel, resize, quit."""
import termios

from harness import MonitorSession

TRACE = "Traceback (most recent call last):\\n  File render.py, line 12\\nValueError: missing texture"


def failing_job(scheduler):
    job = scheduler.submit({
        "name": "render",
        "tasks": [
            {"name": "frame-ok", "command": ["sh", "-c", "echo fine; taskmon task result done"]},
            {"name": "frame-bad", "command": ["sh", "-c",
                                              "echo oops >&2; taskmon task exception ValueError 'missing texture' "
                                              "--trace \"$(printf '" + TRACE + "')\"; exit 3"]},
        ],
    })
    scheduler.wait(job)
    return job


def test_open_navigate_to_a_failed_task_and_read_its_trace(scheduler, open_monitor):
    failing_job(scheduler)
    monitor = open_monitor()
    monitor.wait_for("render")
    assert "Jobs" in monitor.line(1)
    # A failed task opens on its Exception tab; the number key goes there too.
    monitor.open_task("render", "frame-bad", tab=5)
    monitor.wait_for("Trace:")
    text = monitor.text()
    assert "ValueError" in text
    assert "missing texture" in text
    assert "File render.py, line 12" in text
    # Esc goes back to the list, with the same task still selected.
    monitor.send(MonitorSession.ESC, 0.3)
    monitor.wait_for("frame-ok")
    y = monitor.find_row("frame-bad")
    x = monitor.line(y).index("frame-bad")
    assert monitor.is_selected(y, x)


def test_cancel_a_running_task_with_a_message_and_see_it(scheduler, open_monitor):
    job = scheduler.submit({"name": "long", "tasks": [{"name": "sleeper", "command": ["sleep", "60"]}]})
    scheduler.wait_for_status(job, 0, "RUNNING")
    monitor = open_monitor()
    monitor.wait_for("long")
    monitor.send(MonitorSession.ENTER)
    monitor.wait_for("sleeper")
    monitor.select_row("sleeper")
    monitor.send("c")
    monitor.wait_for("Cancel task")
    monitor.send("wrong input set")
    monitor.send(MonitorSession.ENTER)
    scheduler.wait_for_status(job, 0, "CANCELED")
    monitor.wait_for("canceled")
    monitor.send(MonitorSession.ENTER)
    monitor.send("6")
    monitor.wait_for("Reason:")
    monitor.wait_for("wrong input set")
    text = monitor.text()
    assert "DIRECT" in text
    assert "Canceled by" in text


def test_statuses_change_on_screen_without_a_key(scheduler, open_monitor):
    monitor = open_monitor()
    monitor.wait_for("no jobs yet")
    scheduler.submit({"name": "arrives-later", "tasks": [{"name": "t", "command": ["true"]}]})
    monitor.wait_for("arrives-later")
    monitor.wait_for("1/1")


def test_resize_to_tiny_and_back(scheduler, open_monitor):
    failing_job(scheduler)
    monitor = open_monitor(100, 30)
    monitor.wait_for("render")
    monitor.resize(20, 6)
    monitor.wait_for("too small")
    assert "need" in monitor.text()
    monitor.resize(100, 30)
    monitor.wait_for("render")
    assert monitor.line(0).startswith(" taskmon")


def test_quit_restores_the_tty(scheduler, open_monitor):
    monitor = open_monitor()
    before = None
    monitor.wait_for("Jobs")
    during = monitor.terminal_modes()
    assert not during & termios.ICANON, "the monitor reads keys one at a time"
    monitor.send("q")
    assert monitor.wait_exit() == 0
    after = monitor.terminal_modes()
    assert after & termios.ICANON and after & termios.ECHO
    assert b"\x1b[?25h" in monitor.raw or b"\x1b[34h\x1b[?25h" in monitor.raw, "cursor shown again"
    del before


def test_ctrl_c_quits_and_restores_the_tty(scheduler, open_monitor):
    monitor = open_monitor()
    monitor.wait_for("Jobs")
    monitor.send("\x03")
    assert monitor.wait_exit() == 130
    modes = monitor.terminal_modes()
    assert modes & termios.ICANON and modes & termios.ECHO


def test_a_dumb_terminal_gets_one_line_and_exit_2(scheduler, open_monitor):
    for term in ("dumb", "no-such-terminal"):
        monitor = open_monitor(term=term)
        assert monitor.wait_exit() == 2
        output = bytes(monitor.raw)
        assert b"\x1b" not in output, "terminal untouched"
        assert b"taskmon:" in output
        assert output.strip().count(b"\n") == 0


def test_scheduler_goes_away_and_comes_back(scheduler, open_monitor):
    failing_job(scheduler)
    monitor = open_monitor()
    monitor.wait_for("render")
    scheduler.stop()
    monitor.wait_for("reconnecting")
    assert "render" in monitor.text(), "the last known state stays"
    scheduler.start()
    monitor.wait_until(lambda: "reconnecting" not in monitor.text(), timeout=10, what="reconnected")
    scheduler.submit({"name": "after-restart", "tasks": [{"name": "t", "command": ["true"]}]})
    monitor.wait_for("after-restart")


def test_help_lists_the_keys(scheduler, open_monitor):
    monitor = open_monitor()
    monitor.wait_for("Jobs")
    monitor.send("?")
    monitor.wait_for("Keys")
    # The help shows the keys of the screen it was opened on.
    assert "open the job's tasks" in monitor.text()
    assert "follow the output" not in monitor.text()
    monitor.send("x")
    monitor.wait_until(lambda: "Keys" not in monitor.text(), what="help closed")


def test_brackets_show_the_attempts_of_a_retried_task(scheduler, open_monitor):
    """`[` and `]` in the task detail, like `kubectl logs --previous`; each attempt's own output."""
    job = scheduler.submit({"name": "flaky", "tasks": [{"name": "fetch", "command": ["sh", "-c",
        "echo output of attempt $TASKMON_ATTEMPT; [ $TASKMON_ATTEMPT -gt 1 ] || exit 3"]}]})
    scheduler.wait(job)
    scheduler.cli("retry", "%d/0" % job)
    scheduler.wait_for_status(job, 0, "COMPLETED")
    monitor = open_monitor(110, 30)
    monitor.wait_for("flaky")
    monitor.open_task("flaky", "fetch", tab=1)
    monitor.wait_for("output of attempt 2")
    monitor.wait_for("attempt 2 ([ earlier)")
    monitor.send("[")
    monitor.wait_for("attempt 1 of 2 (earlier; ] later)")
    monitor.wait_for("output of attempt 1")
    assert "output of attempt 2" not in monitor.text()
    monitor.send("7")
    monitor.wait_for("Exit code     3")
    assert "FAILED" in monitor.text()
    monitor.send("]")
    monitor.wait_for("COMPLETED")
    monitor.send("1")
    monitor.wait_for("output of attempt 2")
