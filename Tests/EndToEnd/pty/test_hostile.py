"""Untrusted text (names, messages, output) must never move the cursor, change the
terminal's state or misalign columns. Each case goes through the real binary in a pty."""
import os

from harness import MonitorSession

EVIL_NAME = "evil\u001b]0;pwned\u0007\u001b[2J\u001b[31m名前🙂\u202eRTL\u0000nul"

HOSTILE_SCRIPT = r"""
printf 'plain line\n'
printf 'clear\033[2J screen \033[?1049h alt \033]52;c;aGVsbG8=\007 clip \033]0;pwned\007 title \033P+q\033\\ dcs \033[10;10H moved\n'
printf '\033[31mred\033[0m and \033[1;32mbold green\033[0m\n'
printf 'c1 \302\233 31m csi, \302\235 0;osc title \007 nul \000 bell \007 bs \b del \177 end\n'
printf 'bad utf8 \377\376\300 ok\n'
printf 'bidi \342\200\256 reversed \342\200\254 back\n'
printf 'progress 10%%\rprogress 50%%\rprogress 100%%\n'
printf '中文字符 emoji 🙂 flags 🇺🇸 zwj 👨‍👩‍👧 end\n'
head -c 10000000 /dev/zero | tr '\0' 'x'
printf '\nafter the long line\n'
"""


def assert_terminal_state_untouched(monitor):
    raw = bytes(monitor.raw)
    assert monitor.screen.title == "", "the window title was not changed"
    assert b"\x1b]52" not in raw and b"\x1b]0;" not in raw and b"\x1bP" not in raw
    assert raw.count(b"\x1b[?1049h") <= 1, "only ncurses' own switch to the alternate screen"
    assert "\x1b" not in monitor.text()
    assert monitor.line(0).startswith(" taskmon"), "the header stays on the first row"


def test_hostile_names_render_in_place_with_aligned_columns(scheduler, open_monitor):
    job = scheduler.submit({"name": EVIL_NAME, "tasks": [
        {"name": EVIL_NAME, "command": ["true"]},
        {"name": "plain", "command": ["true"]},
    ]})
    scheduler.submit({"name": "neighbour", "tasks": [{"name": "t", "command": ["true"]}]})
    scheduler.wait(job)
    monitor = open_monitor(110, 20)
    monitor.wait_for("neighbour")
    monitor.wait_for("2/2")
    assert_terminal_state_untouched(monitor)
    header = monitor.find_row(" NAME ")
    done_end = monitor.column_of(header, "DONE") + len("DONE")
    evil_row = monitor.find_row("名前")
    assert monitor.column_of(evil_row, "2/2") + 3 == done_end, "columns after a hostile name stay aligned"
    neighbour_row = monitor.find_row("neighbour")
    assert monitor.column_of(neighbour_row, "1/1") + 3 == done_end
    # The same in the tasks list and the detail title.
    monitor.select_row("名前")
    monitor.send(MonitorSession.ENTER)
    monitor.wait_for("plain")
    header = monitor.find_row(" NAME ")
    try_end = monitor.column_of(header, "TRY") + 3
    for name in ("名前", "plain"):
        y = monitor.find_row(name, below=header)
        assert monitor.screen.buffer[y][try_end - 1].data == "1", "attempt column aligned on the %s row" % name
    assert_terminal_state_untouched(monitor)
    monitor.send(MonitorSession.ENTER)
    monitor.wait_for("Task %d/0" % job)
    assert_terminal_state_untouched(monitor)


def test_hostile_output_is_shown_not_obeyed(scheduler, open_monitor):
    script = os.path.join(scheduler.state_dir, "hostile.sh")
    with open(script, "w") as handle:
        handle.write(HOSTILE_SCRIPT)
    job = scheduler.submit({"name": "hostile", "tasks": [{"name": "printer", "command": ["sh", script]}]})
    scheduler.wait(job)
    monitor = open_monitor(100, 30)
    monitor.open_task("hostile", "printer", tab=1)
    # A finished task's output opens at its end; its start is a `g` away.
    monitor.wait_for("after the long line")
    monitor.send("g", 0.5)
    monitor.wait_for("plain line")
    text = monitor.text()
    assert "clear screen  alt  clip  title  dcs  moved" in text, "sequences removed, the text around them kept"
    assert "red and bold green" in text
    assert "nul ^@ bell ^G bs ^H del ^? end" in text, "controls shown as visible symbols"
    assert "bad utf8 \ufffd" in text
    assert "<RLO>" in text, "a bidi override is shown, not applied"
    assert "progress 100%" in text and "progress 10%" not in text, "\\r progress bars show their last state"
    assert "中文字符 emoji 🙂" in text
    # Colours are kept as colours: "red" is drawn red.
    y = monitor.find_row("red and bold")
    x = monitor.line(y).index("red")
    assert monitor.screen.buffer[y][x].fg != "default"
    assert_terminal_state_untouched(monitor)
    assert monitor.line(monitor.rows - 1).startswith(" Tab tabs"), "the footer stays on the last row"
    # The 10 MB line without a newline: jump over it to the end.
    monitor.send("G", 0.5)
    monitor.wait_for("after the long line")
    assert_terminal_state_untouched(monitor)
    monitor.send("q")
    assert monitor.wait_exit() == 0


def test_hostile_exception_and_cancel_message(scheduler, open_monitor):
    job = scheduler.submit({"name": "messages", "tasks": [{"name": "thrower", "command": ["sh", "-c",
        "taskmon task exception \"$(printf 'Evil\\033[2JType')\" \"$(printf 'msg \\033]0;pwned\\007 with 名前')\" "
        "--trace \"$(printf 'line1\\r\\nline2 \\033[5;5H\\nline3')\"; exit 1"]}]})
    scheduler.wait(job)
    monitor = open_monitor(100, 24)
    monitor.open_task("messages", "thrower", tab=5)
    monitor.wait_for("Trace:")
    text = monitor.text()
    assert "EvilType" in text and "msg  with 名前" in text
    assert "line3" in text
    assert_terminal_state_untouched(monitor)
