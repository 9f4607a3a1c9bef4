"""Every code example of the reference's working-with-task-results page runs against taskmon,
imports adapted, and behaves as the page says.

Each example is a script in tests/examples, run as a user runs it (`python3 script.py`, so
its task and result classes live in `__main__` and travel by value), against a real
scheduler found through $TASKMON_STATE_DIR.
"""

import os
import re

from pyclient_support import TESTS, run_script

EXAMPLES = TESTS / "examples"


def run_example(name, scheduler, *args):
    done = run_script(EXAMPLES / name, scheduler, *args)
    assert done.returncode == 0, "%s failed:\n%s\n%s" % (name, done.stdout, done.stderr)
    return done.stdout


def test_task_status(scheduler):
    out = run_example("task_status.py", scheduler)
    assert out.splitlines() == ["{'Frames': 100}", "Result: Hello from task"]


def test_result_property(scheduler):
    assert run_example("result_property.py", scheduler) == "Hello from task\n"


def test_user_defined_result_comes_back_as_the_scripts_class(scheduler):
    out = run_example("user_defined_result.py", scheduler).splitlines()
    assert out[0] == "<class '__main__.MyTaskResult'>"
    assert re.match(r"Time =  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", out[1]), out[1]
    assert out[2] == "Machine Name =  " + os.uname().nodename
    assert out[3] == "Same class: True"


def test_standard_output(scheduler):
    out = run_example("standard_output.py", scheduler).splitlines()
    assert out[0] == "Standard output: "
    assert out[1].startswith("Current time in task is:  20")
    assert out[2] == "Agent machine name:  " + os.uname().nodename


def test_properties_come_back_after_a_failure(scheduler):
    out = run_example("task_properties.py", scheduler).splitlines()
    assert out == [
        "Task status =  FAILED",
        "Exception is Task failure",
        "Property1: 100",
        "Property2: one hundred",
    ]


def test_task_failure(scheduler):
    out = run_example("task_failure.py", scheduler)
    assert "Exception message is:  division by zero\n" in out
    assert "StandardError also has the stack trace:  Traceback (most recent call last):\n" in out
    assert "self.result = 1 / 0" in out
    assert "ZeroDivisionError: division by zero" in out
    assert out.rstrip().endswith("Result type: ZeroDivisionError True")


def test_environment_failure(scheduler, tmp_path):
    marker = tmp_path / "ran"
    out = run_example("environment_failure.py", scheduler, str(marker))
    assert out.count("Status: ENVIRONMENT_ERROR") == 2
    assert out.count("Exception message is:  no license server reachable") == 2
    assert out.count("Result is the setup's exception: True") == 2
    assert "LicenseMissing: no license server reachable" in out
    assert not marker.exists(), "a task ran although its environment's setup failed"


def test_task_cancellation(scheduler):
    out = run_example("task_cancellation.py", scheduler).splitlines()
    assert re.fullmatch(r"Canceled by \S+: wrong input set", out[0]), out[0]
    assert out[1] == "Reason: DIRECT"


def test_putting_it_all_together(scheduler):
    out = run_example("putting_it_all_together.py", scheduler).splitlines()
    assert out[0] == "frame-1 completed: frame-1.png {'Frame': 1}"
    assert out[1] == "  output: rendering frame 1"
    assert out[2] == "broken failed: OSError('missing texture: wood.png')"
    assert out[3] == "  properties still came back: {'Stage': 'loading'}"
    assert out[4] == "  stack trace ends with: OSError: missing texture: wood.png"
    assert out[5] == "too-slow timed out: TimeoutError: ran longer than the job's task timeout of 3s; killed"
    assert re.fullmatch(r"frame-2 canceled: Canceled by \S+: not needed after all DIRECT", out[6]), out[6]
    assert out[7] == "frame-3 environment error: RuntimeError('the render driver is not installed')"
    assert len(out) == 8
