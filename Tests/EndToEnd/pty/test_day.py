"""Defects found in a day of batch work with the monitor (issue 12), each through the real binary."""
import contextlib
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


def test_at_80x24_every_tab_and_the_help_fit(scheduler, open_monitor):
    job = scheduler.submit({"name": "narrow", "tasks": [
        {"name": "t", "command": ["sh", "-c", "taskmon task set-property note \"$(seq -s ' ' 1 900) THE-END\"; exit 4"]}]})
    scheduler.wait(job)
    monitor = open_monitor(80, 24)
    monitor.open_task("narrow", "t")
    monitor.wait_for("Type:")
    tabs = monitor.line(2)
    for number in range(1, 8):
        assert " %d " % number in tabs
    assert "Info" in tabs and "Cancel" in tabs
    # Properties: the long value wraps under VALUE and G reaches its end.
    monitor.send("3")
    monitor.wait_for("note")
    assert "THE-END" not in monitor.text()
    monitor.send("G")
    monitor.wait_for("THE-END")
    # The help is a box over the screen, its entries wrapped, not cut.
    monitor.send("?")
    monitor.wait_for("Keys")
    assert "┌" in monitor.line(1) and "┐" in monitor.line(1)
    assert any("└" in monitor.line(y) for y in range(monitor.rows))
    monitor.send("x")


def test_search_marks_the_current_match_and_counts_them(scheduler, open_monitor):
    job = scheduler.submit({"name": "counted", "tasks": [
        {"name": "w", "command": ["sh", "-c", "echo a needle; echo b; echo c needle; echo d needle"]}]})
    scheduler.wait(job)
    monitor = open_monitor(100, 30)
    monitor.open_task("counted", "w", tab=1)
    monitor.wait_for("d needle")
    monitor.send("g/needle")
    monitor.send(MonitorSession.ENTER, 0.3)
    monitor.wait_for("match 1/3")
    monitor.send("n", 0.3)
    monitor.wait_for("match 2/3")
    monitor.send(MonitorSession.ESC, 0.3)
    monitor.wait_until(lambda: "match" not in monitor.line(2), what="search ended")


def _pager(tmp_path, script):
    """A $PAGER script for the test."""
    pager = tmp_path / "pager.sh"
    pager.write_text(script)
    pager.chmod(0o755)
    return pager


def _monitor_with_pager(scheduler, open_monitor, pager):
    """The monitor at 100x30 with `pager` as its $PAGER."""
    env = {key: value for key, value in scheduler.env.items() if key not in ("NO_COLOR", "TMUX")}
    env["PAGER"] = str(pager)
    return open_monitor(100, 30, env=env)


def test_y_copies_through_osc52_and_o_opens_the_pager(scheduler, open_monitor, tmp_path):
    job = scheduler.submit({"name": "copyme", "tasks": [{"name": "w", "command": ["sh", "-c", "echo first-line; echo second-line"]}]})
    scheduler.wait(job)
    seen = tmp_path / "paged"
    pager = _pager(tmp_path, "#!/bin/sh\ncp \"$1\" %s\n" % seen)
    monitor = _monitor_with_pager(scheduler, open_monitor, pager)
    monitor.open_task("copyme", "w", tab=1)
    monitor.wait_for("second-line")
    monitor.send("g", 0.3)
    monitor.send("y", 0.5)
    assert b"\x1b]52;c;Zmlyc3QtbGluZQ==\x07" in monitor.raw, "the top line goes to the clipboard"
    monitor.send("o", 1.0)
    deadline = time.time() + 10
    while not seen.exists() and time.time() < deadline:
        monitor.pump(0.1)
    assert seen.read_text() == "first-line\nsecond-line\n"
    # Back from the pager, the monitor draws itself again and takes keys.
    monitor.wait_for("second-line")
    monitor.send("q")
    assert monitor.wait_exit() == 0


def _exits_within(pid, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        reaped, status = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return True
        time.sleep(0.05)
    return False


def test_a_hangup_while_the_pager_runs_ends_the_monitor(scheduler, open_monitor, tmp_path):
    """The terminal goes away (SSH drops) while `o` shows the output in a pager: the monitor
    ends too. It used to drop the SIGHUP as the pager's and then spin on the dead terminal."""
    job = scheduler.submit({"name": "hangup", "tasks": [{"name": "w", "command": ["sh", "-c", "echo hang-line"]}]})
    scheduler.wait(job)
    pager = _pager(tmp_path, '#!/bin/sh\necho PAGER-WAITS; while :; do read line || sleep 0.1; done\n')
    monitor = _monitor_with_pager(scheduler, open_monitor, pager)
    monitor.open_task("hangup", "w", tab=1)
    monitor.wait_for("hang-line")
    monitor.send("o", 0.5)
    monitor.wait_for("PAGER-WAITS")
    os.close(monitor.fd)
    exited = _exits_within(monitor.pid, 15)
    if exited:
        monitor.exit_status = 0
    assert exited, "the monitor went on running after its terminal hung up"


def test_a_terminal_that_goes_away_without_a_hangup_ends_the_monitor(scheduler, binary, tmp_path):
    """No SIGHUP reaches a monitor whose terminal is not its controlling one: the dead
    terminal itself (poll says POLLHUP) must end it, not make it spin."""
    import pty as ptymodule
    master, slave = ptymodule.openpty()
    env = dict(scheduler.env, TERM="xterm-256color", LANG="C.UTF-8")
    fcntl_size = __import__("fcntl")
    fcntl_size.ioctl(master, termios.TIOCSWINSZ, __import__("struct").pack("HHHH", 30, 100, 0, 0))
    pid = os.fork()
    if pid == 0:
        os.setsid()  # a session without a controlling terminal: the pty is only its stdio
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.execve(binary, [binary], env)
    os.close(slave)
    try:
        deadline = time.time() + 10
        seen = b""
        while b"quit" not in seen and time.time() < deadline:
            import select
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                seen += os.read(master, 65536)
        assert b"quit" in seen, "the monitor did not draw"
        os.close(master)
        master = None
        assert _exits_within(pid, 15), "the monitor went on running on a terminal that is gone"
    finally:
        if master is not None:
            os.close(master)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def test_marks_and_one_confirmation_retry_many_tasks(scheduler, open_monitor):
    job = scheduler.submit({"name": "bulk", "tasks": [
        {"name": "f%d" % i, "command": ["sh", "-c", "exit 1"]} for i in range(5)]})
    scheduler.wait(job)
    monitor = open_monitor(100, 30)
    monitor.wait_for("bulk")
    monitor.send(MonitorSession.ENTER)
    monitor.wait_for("f4")
    monitor.send("R")
    monitor.wait_for("Retry 5 failed tasks")
    monitor.send(MonitorSession.ENTER)
    monitor.wait_for("5 failed tasks queued again", timeout=20)
    for task in range(5):
        deadline = time.time() + 20
        while scheduler.task(job, task)["attempts"] < 2 and time.time() < deadline:
            time.sleep(0.05)
        assert scheduler.task(job, task)["attempts"] == 2


def test_a_resize_while_suspended_is_applied_after_fg(scheduler, binary):
    """Ctrl-Z in a shell, resize the terminal, `fg`: the monitor redraws at the new size
    without waiting for a key (no SIGWINCH reaches a stopped job; SIGCONT does)."""
    scheduler.submit({"name": "suspended-job", "tasks": [{"name": "t", "command": ["true"]}]})
    env = {key: value for key, value in scheduler.env.items() if key != "NO_COLOR"}
    env["PS1"] = "$ "
    shell = MonitorSession("/bin/bash", env, 100, 30, args=("--norc", "--noprofile", "-i"))
    try:
        shell.wait_for("$")
        shell.send("%s 2>/dev/null\r" % binary, 0.5)
        shell.wait_for("suspended-job")
        shell.send("\x1a", 0.5)
        shell.wait_for("Stopped")
        shell.resize(120, 40)
        shell.send("fg\r", 0.5)
        # The footer is drawn on the new last row, and the header spans the new width.
        shell.wait_until(lambda: "q quit" in shell.line(39), timeout=10, what="footer on row 40 after fg")
        shell.send("q", 0.5)
    finally:
        shell.close()


def test_ctrl_z_gives_the_terminal_back_once_and_fg_at_the_same_size_redraws(scheduler, binary):
    """Ctrl-Z leaves the monitor's screen once and stops it; `fg` with the terminal as it was
    draws the monitor again at once. (The monitor's stop could be lost, and it left its screen
    and tried again, up to a dozen times a Ctrl-Z; after `fg` its frame had not changed, so
    nothing was written and the shell's lines stayed on screen until something changed.)"""
    scheduler.submit({"name": "same-size", "tasks": [{"name": "t", "command": ["true"]}]})
    env = {key: value for key, value in scheduler.env.items() if key != "NO_COLOR"}
    env["PS1"] = "$ "
    shell = MonitorSession("/bin/bash", env, 100, 30, args=("--norc", "--noprofile", "-i"))
    leave_screen = b"\x1b[?1049l"  # rmcup of tmux-256color: what endwin sends
    try:
        shell.wait_for("$")
        shell.send("%s 2>/dev/null\r" % binary, 0.5)
        shell.wait_for("same-size")
        for cycle in range(1, 4):
            before = len(shell.raw)
            shell.send("\x1a", 0.5)
            shell.wait_for("Stopped")
            assert bytes(shell.raw[before:]).count(leave_screen) == 1, "cycle %d" % cycle
            shell.screen.reset()
            shell.send("fg\r", 0.5)
            shell.wait_until(lambda: "q quit" in shell.line(29) and "same-size" in shell.text(),
                             timeout=10, what="the monitor drawn again after fg (cycle %d)" % cycle)
        shell.send("q", 0.5)
    finally:
        shell.close()


def test_ctrl_z_and_fg_again_and_again_never_crash(scheduler, binary):
    """Ctrl-Z and `fg` many times, resizing while stopped: the monitor comes back each time at
    the new size, and exits normally with `q`. (ncurses' own SIGTSTP handler used to redraw from
    inside the signal on another thread, racing the UI thread's resize: a double free.)"""
    scheduler.submit({"name": "stop-go", "tasks": [{"name": "t", "command": ["true"]}]})
    env = {key: value for key, value in scheduler.env.items() if key != "NO_COLOR"}
    env["PS1"] = "$ "
    shell = MonitorSession("/bin/bash", env, 100, 30, args=("--norc", "--noprofile", "-i"))
    try:
        shell.wait_for("$")
        shell.send("%s 2>/dev/null\r" % binary, 0.5)
        shell.wait_for("stop-go")
        sizes = [(120, 40), (80, 24), (100, 30)] * 3
        for cycle, (columns, rows) in enumerate(sizes, start=1):
            shell.send("\x1a", 0.2)
            shell.wait_until(lambda: shell.text().count("Stopped") >= 1, what="stopped (cycle %d)" % cycle)
            shell.screen.reset()
            shell.resize(columns, rows)
            shell.send("fg\r", 0.2)
            shell.wait_until(lambda: "q quit" in shell.line(rows - 1) and "stop-go" in shell.text(),
                             timeout=10, what="monitor back at %dx%d (cycle %d)" % (columns, rows, cycle))
        # The shell's next prompt, on a clean screen, says the monitor is gone; after `fg`,
        # $? is the resumed job's exit status.
        shell.screen.reset()
        shell.send("q", 0.5)
        shell.wait_for("$ ")
        shell.send("echo monitor-exit=$?\r", 0.3)
        shell.wait_for("monitor-exit=0", timeout=10)
        assert b"crashed" not in shell.raw
    finally:
        shell.close()


def _process_state(pid):
    """The one-letter state in /proc/PID/stat (T: stopped)."""
    with open("/proc/%d/stat" % pid) as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


def _children(pid):
    """PID's child processes, whichever of its threads started them."""
    found = []
    for thread in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/children" % (pid, thread)) as children:
            found += [int(child) for child in children.read().split()]
    return found


@contextlib.contextmanager
def _ctrl_z_in_the_pager(scheduler, binary, pager, pager_ready):
    """The monitor in an interactive bash, a finished task's output opened with `o` in `pager`
    (its $PAGER), and Ctrl-Z once `pager_ready` is on screen. Yields the shell once bash has
    reported the job Stopped, with the monitor and the pager both stopped (the pager must not
    be left running without the terminal)."""
    job = scheduler.submit({"name": "paged", "tasks": [{"name": "w", "command": ["sh", "-c", "echo page-line-1; echo page-line-2"]}]})
    scheduler.wait(job)
    env = {key: value for key, value in scheduler.env.items() if key not in ("NO_COLOR", "LESS")}
    env["PS1"] = "$ "
    env["PAGER"] = pager
    shell = MonitorSession("/bin/bash", env, 100, 30, args=("--norc", "--noprofile", "-i"))
    try:
        shell.wait_for("$")
        shell.send("%s 2>/dev/null\r" % binary, 0.5)
        shell.open_task("paged", " w ", tab=1)
        shell.wait_for("page-line-2")
        shell.send("o", 0.5)
        shell.wait_for(pager_ready)
        shell.send("\x1a", 0.5)
        shell.wait_for("Stopped")
        [monitor] = _children(shell.pid)
        [paging] = _children(monitor)
        assert (_process_state(monitor), _process_state(paging)) == ("T", "T")
        shell.screen.reset()
        yield shell
    finally:
        shell.close()


def _expect_the_monitor_back_then_exit_0(shell):
    """After the pager ends: the monitor draws itself again, `q` quits it, and $? says 0."""
    shell.wait_until(lambda: "q quit" in shell.line(29), timeout=10, what="the monitor back after the pager")
    shell.screen.reset()
    shell.send("q", 0.5)
    shell.wait_for("$ ")
    shell.send("echo monitor-exit=$?\r", 0.3)
    shell.wait_for("monitor-exit=0", timeout=10)


def test_ctrl_z_in_the_pager_stops_both_and_fg_brings_both_back(scheduler, binary, tmp_path):
    """Ctrl-Z while `o` shows the output in a pager: the pager stops, then the monitor, and the
    shell gets the terminal; `fg` gives it back to the pager, and leaving the pager returns to
    the monitor. The pager here is a script that takes Ctrl-Z's default action. (The monitor
    stopped itself with kill(getpid()), which the kernel could hand to its main thread, parked
    with every signal unblocked; the SIG_IGN put back right after the kill then discarded the
    still-pending SIGTSTP: the monitor never stopped and woke the pager again.)"""
    pager = _pager(tmp_path, '#!/bin/sh\ncat "$1"; echo PAGER-WAITS; read line; echo PAGER-DONE\n')
    with _ctrl_z_in_the_pager(scheduler, binary, str(pager), "PAGER-WAITS") as shell:
        shell.send("fg\r", 0.5)
        # The pager reads again: Enter ends it, and the monitor draws itself.
        shell.send("\r", 0.5)
        _expect_the_monitor_back_then_exit_0(shell)


def test_ctrl_z_in_less_stops_both_and_fg_brings_both_back(scheduler, binary):
    """The same with less, which catches SIGTSTP, restores the terminal and then stops itself.
    (less inherited a signal mask that blocked Ctrl-Z, and the monitor, stopped by the signal
    itself, left less running without the terminal and was found stopped again after `fg`.)"""
    with _ctrl_z_in_the_pager(scheduler, binary, "less", "(END)") as shell:
        shell.send("fg\r", 0.5)
        shell.wait_for("(END)")
        shell.send("q", 0.5)
        _expect_the_monitor_back_then_exit_0(shell)


def test_s_saves_the_tab_and_never_overwrites(scheduler, open_monitor, tmp_path):
    job = scheduler.submit({"name": "saver", "tasks": [{"name": "w", "command": ["sh", "-c", "echo one; echo two >&2; echo three"]}]})
    scheduler.wait(job)
    monitor = open_monitor(100, 30)
    monitor.open_task("saver", "w", tab=1)
    monitor.wait_for("three")
    target = tmp_path / "saved.out"
    monitor.send("S", 0.3)
    monitor.wait_for("Save output of task")
    monitor.send("\x15" + str(target) + "\r", 0.5)
    monitor.wait_for("saved")
    assert target.read_text() == "one\nthree\n"
    # Once more to the same name: refused, the file kept.
    monitor.send("S", 0.3)
    monitor.send("\x15" + str(target) + "\r", 0.5)
    monitor.wait_for("cannot save")
    assert target.read_text() == "one\nthree\n"
