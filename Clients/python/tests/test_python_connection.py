"""Finding and reaching the scheduler, clear errors for a dead one and for bad input, and the
client's per-job files."""

import os
import socket
import threading
import time

import pytest

import pyclient_tasks
from taskmon import JobPriority, SchedulerConnectionError, SchedulerError, SchedulerNotRunningError, TaskStatus
from taskmon import _statedir
from taskmon._jobfiles import JobFiles
from taskmon._statedir import resolve_state_dir
from taskmon.client import JobScheduler


def test_state_dir_is_resolved_like_the_cli():
    env = {"HOME": "/home/ann"}
    assert resolve_state_dir(None, env) == "/home/ann/.local/state/taskmon"
    assert resolve_state_dir(None, dict(env, XDG_STATE_HOME="/xdg")) == "/xdg/taskmon"
    assert resolve_state_dir(None, dict(env, XDG_STATE_HOME="/xdg", TASKMON_STATE_DIR="/st")) == "/st"
    assert resolve_state_dir("/flag/", dict(env, TASKMON_STATE_DIR="/st")) == "/flag"
    assert resolve_state_dir(None, dict(env, TASKMON_STATE_DIR="")) == "/home/ann/.local/state/taskmon"


def test_no_scheduler_gives_a_clear_error(tmp_path):
    client = JobScheduler(state_dir=str(tmp_path), start_scheduler=False)
    with pytest.raises(SchedulerNotRunningError) as caught:
        client.connect()
    message = str(caught.value)
    assert "no scheduler is running at %s/scheduler.sock (no such file)" % tmp_path in message
    assert "start one with `taskmon serve`" in message


def test_a_dead_schedulers_leftover_socket_gives_a_clear_error(tmp_path):
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(tmp_path / "scheduler.sock"))
    leftover.close()
    with pytest.raises(SchedulerNotRunningError, match=r"\(connection refused\); start one with `taskmon serve`"):
        JobScheduler(state_dir=str(tmp_path), start_scheduler=False).connect()


def test_a_socket_path_too_long_is_named(tmp_path):
    deep = tmp_path / ("d" * 120)
    with pytest.raises(SchedulerNotRunningError, match="Unix sockets allow 107"):
        JobScheduler(state_dir=str(deep), start_scheduler=False).connect()


def test_without_a_taskmon_executable_the_error_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("TASKMON_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SchedulerNotRunningError, match=r"no taskmon executable was found \(\$TASKMON_BIN, PATH\)"):
        JobScheduler(state_dir=str(tmp_path)).connect()


def test_connect_starts_a_scheduler_in_the_background(taskmon_bin, monkeypatch, capfd):
    import tempfile
    import shutil
    root = tempfile.mkdtemp(prefix="tmpy", dir="/tmp")
    state = os.path.join(root, "auto")
    monkeypatch.setenv("TASKMON_BIN", taskmon_bin)
    try:
        with JobScheduler(state_dir=state) as client:
            client.connect()
            assert "taskmon: started a scheduler in the background (pid %d, state dir %s" % (client.scheduler_pid, state) \
                in capfd.readouterr().err
            job = client.create_job()
            job.add_task(pyclient_tasks.Echo("auto"))
            job.submit()
            assert job.wait_until_done(60)
            assert job.tasks[0].result == "auto"
            client._call("shutdown")
        _statedir._STARTED[-1].wait(30)
    finally:
        for process in _statedir._STARTED:
            if process.poll() is None:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)


def test_a_scheduler_that_stops_while_we_wait_is_an_error(scheduler, client):
    job = client.create_job()
    job.add_task(pyclient_tasks.Sleeps(600))
    job.submit()
    threading.Timer(0.5, lambda: scheduler.process.terminate()).start()
    with pytest.raises(SchedulerConnectionError, match="stopped following job 1: lost the connection to the scheduler"):
        job.wait_until_done(30)


def test_bad_arguments_are_refused_before_anything_is_sent(client):
    with pytest.raises(ValueError, match="'urgent' is not a JobPriority"):
        client.create_job(priority="urgent")
    with pytest.raises(ValueError, match="task_timeout must be a positive number of seconds"):
        client.create_job(task_timeout=-1)
    with pytest.raises(TypeError, match="task_timeout must be a number of seconds or a timedelta"):
        client.create_job(task_timeout="10")
    with pytest.raises(ValueError, match="max_interrupted_retries must be from 0 to 1000"):
        client.create_job(max_interrupted_retries=-1)
    with pytest.raises(TypeError, match="cancel_on_task_failure must be True or False"):
        client.create_job(cancel_on_task_failure="yes")
    with pytest.raises(TypeError, match="a task environment needs a setup\\(\\) or teardown\\(\\) method; int has neither"):
        client.create_job(task_environment=3)
    job = client.create_job()
    with pytest.raises(TypeError, match="a task needs an execute\\(\\) method; object has none"):
        job.add_task(object())
    with pytest.raises(ValueError, match="a job needs at least one task"):
        job.submit()
    with pytest.raises(RuntimeError, match="not submitted yet"):
        job.wait_until_done()
    assert client.create_job(priority="high").priority == JobPriority.HIGH
    assert client.create_job(priority=0).priority == JobPriority.LOW


def test_a_task_that_cannot_be_pickled_is_refused_and_leaves_nothing(client):
    job = client.create_job()
    job.add_task(pyclient_tasks.Echo(threading.Lock()))
    with pytest.raises(TypeError, match=r"task 0 \(Echo\) cannot be pickled to send it to its host"):
        job.submit()
    assert job.id is None
    assert os.listdir(os.path.join(client.state_dir, "python")) == []


def test_a_job_the_scheduler_refuses_raises_its_message(client):
    job = client.create_job(interpreter="/no/such/python")
    job.add_task(pyclient_tasks.Echo(1))
    with pytest.raises(SchedulerError, match=r'tasks\[0\].command\[0\]: no such program "/no/such/python"'):
        job.submit()
    assert os.listdir(os.path.join(client.state_dir, "python")) == []


def test_job_files_are_kept_for_a_retry_then_collected(scheduler, client):
    job = client.create_job()
    job.add_task(pyclient_tasks.Echo(1))
    job.submit()
    assert job.wait_until_done(30)
    folder = job._folder
    assert sorted(os.listdir(folder)) == ["job", "tasks.pickle"]
    assert open(os.path.join(folder, "job")).read() == "%d\n" % job.id
    # The task can run again from its payload (a retry from the monitor or the CLI).
    client._call("retry", {"job_id": job.id, "task_id": 0})
    job.refresh()
    deadline = time.monotonic() + 30
    while job.tasks[0].attempts < 2 or job.tasks[0].task_status != TaskStatus.COMPLETED:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert job.tasks[0].result == 1

    running = client.create_job()
    running.add_task(pyclient_tasks.Sleeps(600))
    running.submit()
    orphan_old = JobFiles(client.state_dir).new_folder()
    os.utime(orphan_old, (time.time() - 7200, time.time() - 7200))
    orphan_new = JobFiles(client.state_dir).new_folder()
    # A later client collects what is no longer needed: here, with no retention at all.
    with scheduler.client(payload_retention=0) as later:
        later.connect()
    assert not os.path.exists(folder)
    assert not os.path.exists(orphan_old)
    assert os.path.exists(running._folder) and os.path.exists(orphan_new)
    running.cancel()
