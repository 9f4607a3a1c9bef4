"""Where a Python task's environment comes from: the submitting client's os.environ, or the
scheduler's minimal base with ``inherit_env=False``; never whoever started the scheduler."""

import os
import pwd

import pytest

import pyclient_tasks
from pyclient_support import RunningScheduler
from taskmon import TaskStatus
from taskmon.agiparallel.client import ClusterJobScheduler


@pytest.fixture
def secret_scheduler(taskmon_bin, monkeypatch):
    """A scheduler started with a secret in its environment; the client's has none."""
    monkeypatch.setenv("TM_PY_SECRET", "hunter2")
    running = RunningScheduler(taskmon_bin)
    monkeypatch.delenv("TM_PY_SECRET")
    yield running
    running.stop()


def _run(client, job):
    job.submit()
    assert job.wait_until_done(60)
    assert [t.task_status for t in job.tasks] == [TaskStatus.COMPLETED] * len(job.tasks), \
        [t.standard_error for t in job.tasks]
    return [t.result for t in job.tasks]


MARKERS = {"TASKMON_JOB_ID", "TASKMON_STATE_DIR", "TASKMON_CHANNEL", "TASKMON_TASK_ID", "TASKMON_ATTEMPT"}


def _minimal_base(path_first):
    user = pwd.getpwuid(os.geteuid())
    base = {"PATH": path_first + ":/usr/local/bin:/usr/bin:/bin", "HOME": user.pw_dir, "USER": user.pw_name,
            "LOGNAME": user.pw_name, "SHELL": user.pw_shell or "/bin/sh",
            "TMPDIR": os.environ.get("TMPDIR") or "/tmp"}
    if os.environ.get("LANG"):
        base["LANG"] = os.environ["LANG"]
    return base


def test_tasks_get_the_submitters_environment_not_the_schedulers(secret_scheduler, monkeypatch):
    with secret_scheduler.client() as client:
        client.connect()
        monkeypatch.setenv("TM_PY_MINE", "first")
        first = client.create_job()
        first.add_task(pyclient_tasks.ReadsEnvironment())
        [env] = _run(client, first)
        assert "TM_PY_SECRET" not in env
        assert env["TM_PY_MINE"] == "first"
        assert env["HOME"] == os.environ["HOME"]
        # Another environment, another host: a warm host of the first job is not reused for it.
        monkeypatch.setenv("TM_PY_MINE", "second")
        second = client.create_job()
        second.add_task(pyclient_tasks.ReadsEnvironment())
        [env] = _run(client, second)
        assert env["TM_PY_MINE"] == "second"
        assert "TM_PY_SECRET" not in env


def test_inherit_env_false_gives_the_minimal_base(secret_scheduler, monkeypatch, taskmon_bin):
    monkeypatch.setenv("TM_PY_MINE", "yes")
    with secret_scheduler.client() as client:
        client.connect()
        job = client.create_job(inherit_env=False)
        job.add_task(pyclient_tasks.ReadsEnvironment())
        [env] = _run(client, job)
    # The client adds the folders of taskmon and cloudpickle as the job's PYTHONPATH.
    env.pop("PYTHONPATH", None)
    # Python sets LC_CTYPE itself in a C locale (PEP 538).
    env.pop("LC_CTYPE", None)
    base = _minimal_base(os.path.dirname(os.path.realpath(taskmon_bin)))
    assert {k: v for k, v in env.items() if k not in MARKERS} == base
    assert MARKERS <= set(env)


def test_inherit_env_is_checked():
    from taskmon.client import JobScheduler
    with pytest.raises(TypeError, match="inherit_env must be True or False"):
        JobScheduler(state_dir="/nonexistent", start_scheduler=False).create_job(inherit_env="no")


def test_agiparallel_sends_the_environment_and_honours_inherit_env(secret_scheduler, monkeypatch):
    monkeypatch.setenv("TM_PY_MINE", "agi")
    with ClusterJobScheduler(state_dir=secret_scheduler.state_dir) as agi:
        agi.connect()
        inherited = agi.create_job()
        inherited.add_task(pyclient_tasks.ReadsEnvironment())
        inherited.submit()
        assert inherited.wait_until_done(60000)
        env = inherited.tasks[0].result
        assert env["TM_PY_MINE"] == "agi" and "TM_PY_SECRET" not in env
        clean = agi.create_job()
        clean.inherit_env = False
        clean.add_task(pyclient_tasks.ReadsEnvironment())
        clean.submit()
        assert clean.wait_until_done(60000)
        env = clean.tasks[0].result
        assert "TM_PY_MINE" not in env and "TM_PY_SECRET" not in env
        assert env["PATH"].endswith(":/usr/local/bin:/usr/bin:/bin")
        with pytest.raises(TypeError, match="inherit_env must be True or False"):
            agi.create_job().inherit_env = "no"
