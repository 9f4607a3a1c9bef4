"""The monitor on different terminals, colour settings and themes, and the README's first
command (`taskmon demo`) as a new user runs it."""
import glob
import os
import time

from harness import MonitorSession


def small_job(scheduler):
    job = scheduler.submit({"name": "mixed", "tasks": [
        {"name": "ok", "command": ["true"]},
        {"name": "bad", "command": ["false"]},
    ]})
    scheduler.wait(job)
    return job


def colours_used(monitor):
    return {cell.fg for row in monitor.screen.buffer.values() for cell in row.values()} | \
           {cell.bg for row in monitor.screen.buffer.values() for cell in row.values()}


def test_no_color_draws_without_colours_but_keeps_statuses_apart(scheduler, open_monitor):
    small_job(scheduler)
    monitor = open_monitor(env=dict(scheduler.env, NO_COLOR="1"))
    monitor.wait_for("mixed")
    monitor.send(MonitorSession.ENTER)
    monitor.wait_for("bad")
    assert colours_used(monitor) == {"default"}, "NO_COLOR: no colour at all"
    ok_row = monitor.find_row(" ok ", below=2)
    bad_row = monitor.find_row(" bad ", below=2)
    ok_cell = monitor.screen.buffer[ok_row][monitor.column_of(ok_row, "completed")]
    bad_cell = monitor.screen.buffer[bad_row][monitor.column_of(bad_row, "failed")]
    assert (ok_cell.bold, ok_cell.reverse, ok_cell.underscore) != (bad_cell.bold, bad_cell.reverse, bad_cell.underscore), \
        "statuses differ by attribute"
    assert "✓" in monitor.line(ok_row) and "✗" in monitor.line(bad_row), "and by symbol"


def test_the_linux_console_gets_ascii_symbols(scheduler, open_monitor):
    small_job(scheduler)
    monitor = open_monitor(term="linux")
    monitor.wait_for("mixed")
    monitor.send(MonitorSession.ENTER)
    monitor.wait_for("bad")
    bad_row = monitor.find_row(" bad ", below=2)
    assert "X failed" in monitor.line(bad_row)
    assert all(ord(character) < 128 for character in monitor.text()), "nothing the console cannot draw"


def test_t_cycles_themes_and_a_broken_theme_names_file_line_and_key(scheduler, open_monitor):
    small_job(scheduler)
    config = os.path.join(scheduler.state_dir, "config")
    os.makedirs(os.path.join(config, "taskmon", "themes"))
    with open(os.path.join(config, "taskmon", "themes", "broken.toml"), "w") as handle:
        handle.write('inherits = "default"\n\n[status]\nFAILED = "redd"\n')
    env = dict(scheduler.env, XDG_CONFIG_HOME=config)
    monitor = open_monitor(env=env, args=("--theme", "broken"))
    monitor.wait_for("broken.toml:4")
    assert "status.FAILED" in monitor.text() and "redd" in monitor.text()
    before = colours_used(monitor)
    monitor.send("T")
    monitor.wait_for("theme:")
    monitor.pump(0.3)
    after = colours_used(monitor)
    assert before != after, "the next theme draws in other colours"


def test_the_demo_shows_every_status_and_cleans_up(binary):
    before = set(glob.glob("/tmp/taskmon-demo-*"))
    monitor = MonitorSession(binary, dict(os.environ), 110, 30, args=("demo",))
    try:
        # The header counts tasks per status; by ~15 s every final status has happened.
        wanted = {"✓", "✗", "⊠", "◷", "⊘", "↺", "►", "⋯"}
        monitor.wait_until(lambda: wanted <= set(monitor.line(0)), timeout=40, what="every status in the header")
        monitor.send("/")
        monitor.send("import-orders")
        monitor.send(MonitorSession.ENTER)
        monitor.send(MonitorSession.ENTER)
        monitor.wait_for("import-csv")
        monitor.send(MonitorSession.ENTER)
        monitor.wait_for("Trace:")
        assert "ValueError" in monitor.text()
        monitor.send("q")
        assert monitor.wait_exit(timeout=20) == 0
        time.sleep(0.2)
        assert set(glob.glob("/tmp/taskmon-demo-*")) == before, "the demo's temp dir is gone"
    finally:
        monitor.close()
