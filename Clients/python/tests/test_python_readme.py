"""The client's README: its example runs as written, as a new user would run it, and its
events snippet works."""

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pyclient_tasks
from pyclient_support import CLIENT, PACKAGE_ROOT, run_script

README = (CLIENT / "README.md").read_text()


def python_block(section):
    body = README.split("\n## " + section + "\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", body, re.S).group(1)


def test_the_readme_example_runs_as_written(scheduler, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(python_block("Example"))
    done = run_script(script, scheduler, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "COMPLETED Hello from task\n"


def test_the_readme_example_starts_a_scheduler_when_none_runs(taskmon_bin, tmp_path):
    root = tempfile.mkdtemp(prefix="tmpy", dir="/tmp")
    script = tmp_path / "example.py"
    script.write_text(python_block("Example"))
    # As a new user: taskmon on PATH, no scheduler running.
    env = dict(os.environ, TASKMON_STATE_DIR=root + "/s", PYTHONPATH=PACKAGE_ROOT,
               PATH=os.path.dirname(taskmon_bin) + os.pathsep + os.environ["PATH"])
    env.pop("TASKMON_BIN", None)
    try:
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "COMPLETED Hello from task\n"
        assert re.match(r"taskmon: started a scheduler in the background \(pid \d+, state dir %s/s," % root, done.stderr)
    finally:
        stop_scheduler_of(root + "/s")
        shutil.rmtree(root, ignore_errors=True)


def stop_scheduler_of(state_dir):
    """Stops the scheduler the script started, by the pid in its lock file, if it started one."""
    try:
        with open(state_dir + "/scheduler.lock") as lock:
            pid = int(lock.read().split()[0])
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError, IndexError):
        return
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def test_the_readme_events_snippet(client):
    job = client.create_job()
    job.add_task(pyclient_tasks.Progress())
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(python_block("Events"), {"job": job})
        job.submit()
        assert job.wait_until_done(60)
    lines = output.getvalue().splitlines()
    assert lines[-2] == "Progress COMPLETED done"
    assert lines[-1] == "all done"
    assert "Progress SUBMITTED -> ASSIGNED" in lines
    assert any(re.fullmatch(r"Progress \d+ step \d", line) for line in lines)


def test_the_readme_attempts_example_prints_what_it_says(scheduler, tmp_path):
    script = tmp_path / "flaky.py"
    script.write_text(python_block("Attempts and retries"))
    said = re.search(r"prints\n\n```\n(.*?)```", README.split("\n## Attempts and retries\n", 1)[1], re.S).group(1)
    done = run_script(script, scheduler, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == said
