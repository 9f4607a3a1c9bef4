"""The CLI prints untrusted text safely and cuts it at whole characters (issues 9 and 12)."""
import json
import os
import unicodedata

HOSTILE = "漢字🎉" * 8 + "\x1b]52;c;aGVsbG8=\x07\x1b]0;owned\x07\x1b[2J"


def columns(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def test_jobs_and_show_print_no_escape_sequences_and_cut_whole_characters(scheduler):
    # The exception text comes from a script, so the command line does not show its payload.
    script = os.path.join(scheduler.state_dir, "hostile.sh")
    with open(script, "w") as handle:
        handle.write("taskmon task exception Boom \"$(printf 'bad\\033]52;c;eA==\\007 end')\"; exit 1\n")
    job = scheduler.submit({"name": HOSTILE, "tasks": [{"name": HOSTILE, "command": ["sh", script]}]})
    scheduler.wait(job)
    outputs = [scheduler.cli("jobs").stdout, scheduler.cli("show", str(job)).stdout,
               scheduler.cli("show", "%d/0" % job).stdout]
    for out in outputs:
        assert "\x1b" not in out and "\x07" not in out, repr(out)
        assert "52;c" not in out and "owned" not in out
        assert "\ufffd" not in out, "no character cut in half"
    header, row = outputs[0].splitlines()[:2]
    # The NAME column is cut to 30 columns with an ellipsis, and the next column lines up.
    name_start, state_start = header.index("NAME"), header.index("STATE")
    name_cell = row[name_start:].split("  ")[0]
    assert name_cell.endswith("…")
    assert columns(name_cell) <= 30
    assert columns(row[:row.index("done")]) == state_start
    assert "bad end" in outputs[2] or "bad" in outputs[2]


def test_task_set_property_takes_a_negative_number(scheduler):
    job = scheduler.submit({"name": "negative", "tasks": [
        {"name": "n", "command": ["sh", "-c", "taskmon task set-property n -42 --type int && taskmon task result -1"]}]})
    scheduler.wait(job)
    task = scheduler.task(job, 0)
    assert task["task_status"] == "COMPLETED", task
    assert task["properties"]["n"] == {"type": "int", "value": -42}
    assert task["result"]["display"] == "-1"


def test_retry_failed_and_cancel_several(scheduler):
    job = scheduler.submit({"name": "mixed", "tasks": [
        {"name": "ok", "command": ["true"]},
        {"name": "bad1", "command": ["sh", "-c", "exit 3"]},
        {"name": "bad2", "command": ["sh", "-c", "exit 4"]}]})
    scheduler.wait(job)
    out = scheduler.cli("retry", str(job), "--failed").stdout
    assert "2 tasks queued again" in out, out
    scheduler.wait(job)
    assert [scheduler.task(job, i)["attempts"] for i in range(3)] == [1, 2, 2]
    bad = scheduler.cli("retry", str(job), check=False)
    assert bad.returncode == 2 and "JOB/TASK" in bad.stderr
    sleepers = [scheduler.submit({"name": "s%d" % i, "tasks": [{"name": "z", "command": ["sleep", "60"]}]}) for i in range(2)]
    out = scheduler.cli("cancel", str(sleepers[0]), "%d/0" % sleepers[1], "-m", "both").stdout
    assert "canceled 2 tasks" in out, out
    for other in sleepers:
        scheduler.wait(other)
        assert scheduler.task(other, 0)["task_status"] == "CANCELED"
