"""Warm hosts, as the reference runs them, against a real scheduler: setup once per host, state
shared with the tasks, a failing task replaces its host, timeout and cancel kill the host, a host
killed from outside makes its task INTERRUPTED (retried), output never crosses between tasks."""

import os
import re
import signal
import sys
import time

import pytest

from pyclient_support import RunningScheduler
from taskmon import TaskStatus
from taskmon.agiparallel.constants import TaskProperties

HOST_PLACE = re.compile(r"host pid (\d+) \((new|warm), task (\d+) of it\)")


@pytest.fixture
def one_slot(taskmon_bin):
    running = RunningScheduler(taskmon_bin, slots=1)
    yield running
    running.stop()


@pytest.fixture
def client1(one_slot):
    with one_slot.client() as connected:
        connected.connect()
        yield connected


class CountingEnvironment:
    """Appends its host's pid to a file at setup and teardown."""

    def __init__(self, log):
        self.log = str(log)
        self.value = None

    def setup(self):
        print("setting up in", os.getpid())
        with open(self.log, "a") as f:
            f.write("setup %d\n" % os.getpid())
        self.value = os.getpid()

    def teardown(self):
        print("tearing down", os.getpid())
        with open(self.log, "a") as f:
            f.write("teardown %d\n" % os.getpid())


class Pid:
    def __init__(self, fail=False):
        self.fail = fail

    def execute(self):
        environment = self.get_property(TaskProperties.ENVIRONMENT)
        assert self.get_property(TaskProperties.HOST_ID) == str(os.getpid())
        assert self.get_property(TaskProperties.TASK_ID) == "%s/%s" % (os.environ["TASKMON_JOB_ID"], os.environ["TASKMON_TASK_ID"])
        self.set_property("pid", os.getpid())
        self.result = (os.getpid(), environment.value if environment is not None else None)
        if self.fail:
            raise RuntimeError("failing on purpose")


def lines(path):
    return open(path).read().split("\n")[:-1] if os.path.exists(path) else []


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_setup_once_per_host_and_its_state_reaches_the_tasks(client, tmp_path):
    log = tmp_path / "log"
    job = client.create_job(task_environment=CountingEnvironment(log))
    for _ in range(12):
        job.add_task(Pid())
    job.submit()
    assert job.wait_until_done(60)
    pids = [task.result[0] for task in job.tasks]
    assert all(task.task_status == TaskStatus.COMPLETED for task in job.tasks)
    # The environment's state is the host's own: set by setup() in the very process of the task.
    assert all(pid == value for pid, value in (task.result for task in job.tasks))
    setups = [line for line in lines(log) if line.startswith("setup")]
    assert sorted(setups) == sorted("setup %d" % pid for pid in set(pids))
    assert len(set(pids)) <= 2 < len(pids)
    places = [HOST_PLACE.fullmatch(task.host) for task in job.tasks]
    assert all(places) and {int(m.group(1)) for m in places} == set(pids)
    assert {m.group(2) for m in places} == {"new", "warm"}
    # Once the job is done its hosts are recycled: teardown ran in each of them.
    assert wait_for(lambda: sorted(l for l in lines(log) if l.startswith("teardown")) == sorted("teardown %d" % p for p in set(pids)))
    # What setup printed is readable: one line per host that set up.
    stdout, stderr = job.environment_output("setup")
    assert sorted(stdout.splitlines()) == sorted("setting up in %d" % p for p in set(pids)) and stderr == ""


def test_a_failing_task_shuts_its_host_down_and_the_next_gets_a_new_one(client1, tmp_path):
    log = tmp_path / "log"
    job = client1.create_job(task_environment=CountingEnvironment(log))
    for fail in (False, True, False, False):
        job.add_task(Pid(fail=fail))
    job.submit()
    assert job.wait_until_done(60)
    assert [t.task_status for t in job.tasks] == [TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.COMPLETED, TaskStatus.COMPLETED]
    first, failed = job.tasks[0].result[0], job.tasks[1].properties["pid"]
    later = {t.result[0] for t in job.tasks[2:]}
    assert failed == first and first not in later and len(later) == 1
    log_lines = lines(log)
    assert log_lines[:3] == ["setup %d" % first, "teardown %d" % first, "setup %d" % later.pop()]
    assert "tearing down %d" % first in job.environment_output("teardown")[0]


class Sleeper:
    def __init__(self, marker=None):
        self.marker = marker

    def execute(self):
        self.set_property("pid", os.getpid())
        if self.marker:
            with open(self.marker, "w") as f:
                f.write(str(os.getpid()))
        time.sleep(120)


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


class Shared:
    """An environment with a unique id: a live idle host of it takes the next task of any job that has it."""

    def __init__(self, unique_id):
        self.unique_id = unique_id
        self.value = None

    def setup(self):
        self.value = os.getpid()


def test_a_timeout_kills_the_host_and_the_next_task_gets_a_new_one(client1):
    # The next task is a later job's, of the same environment id (a host that survived would take
    # it) and without a timeout: the 1 s limit is only for the task that sleeps, so that a host
    # slow to import on a loaded machine cannot time the next task out too.
    environment = Shared("timeout-kills-host-%d" % os.getpid())
    timed = client1.create_job(task_timeout=1.0, task_environment=environment)
    timed.add_task(Sleeper())
    timed.submit()
    assert timed.wait_until_done(60)
    assert timed.tasks[0].task_status == TaskStatus.TIMED_OUT
    killed = timed.tasks[0].pid  # the host's (the task may not have got as far as its first line)
    assert killed and HOST_PLACE.fullmatch(timed.tasks[0].host).group(1) == str(killed)
    assert wait_for(lambda: gone(killed))
    later = client1.create_job(task_environment=environment)
    later.add_task(Pid())
    later.submit()
    assert later.wait_until_done(60)
    assert later.tasks[0].task_status == TaskStatus.COMPLETED, later.tasks[0].exception
    assert later.tasks[0].result[0] != killed
    assert HOST_PLACE.fullmatch(later.tasks[0].host).group(2) == "new"


def test_a_cancel_kills_the_host(client1, tmp_path):
    marker = tmp_path / "pid"
    job = client1.create_job()
    job.add_task(Sleeper(str(marker)))
    job.submit()
    assert wait_for(marker.exists)
    pid = int(wait_for(lambda: marker.read_text()) and marker.read_text())
    job.tasks[0].cancel("not needed")
    assert job.wait_until_done(60)
    assert job.tasks[0].task_status == TaskStatus.CANCELED
    assert wait_for(lambda: gone(pid))


class DiesOnce:
    def __init__(self, marker):
        self.marker = marker

    def execute(self):
        if not os.path.exists(self.marker):
            with open(self.marker, "w") as f:
                f.write(str(os.getpid()))
            time.sleep(120)
        self.result = os.getpid()


def test_a_host_killed_from_outside_makes_its_task_interrupted_and_retried(client, tmp_path):
    marker = tmp_path / "pid"
    job = client.create_job(max_interrupted_retries=2)
    job.add_task(DiesOnce(str(marker)))
    job.submit()
    assert wait_for(lambda: marker.exists() and marker.read_text())
    pid = int(marker.read_text())
    os.kill(pid, signal.SIGKILL)
    assert job.wait_until_done(60)
    task = job.tasks[0]
    assert task.task_status == TaskStatus.COMPLETED
    assert task.interrupted_retry_attempts == 1 and task.result != pid


def test_a_host_killed_with_no_retries_left_stays_interrupted(client, tmp_path):
    marker = tmp_path / "pid"
    job = client.create_job(max_interrupted_retries=0)
    job.add_task(DiesOnce(str(marker)))
    job.submit()
    assert wait_for(lambda: marker.exists() and marker.read_text())
    os.kill(int(marker.read_text()), signal.SIGKILL)
    assert job.wait_until_done(60)
    assert job.tasks[0].task_status == TaskStatus.INTERRUPTED
    assert "killed by signal 9" in job.tasks[0].exception.message


class Noisy:
    def __init__(self, n):
        self.n = n

    def execute(self):
        import subprocess
        print("print %d" % self.n)
        sys.stderr.write("stderr %d\n" % self.n)
        os.write(1, b"fd1 %d\n" % self.n)
        os.write(2, b"fd2 %d\n" % self.n)
        subprocess.run(["sh", "-c", "echo child %d; echo child-err %d >&2" % (self.n, self.n)], check=True)
        self.result = self.n


def test_output_of_one_task_never_appears_in_anothers(client):
    job = client.create_job()
    for n in range(16):
        job.add_task(Noisy(n))
    job.submit()
    assert job.wait_until_done(60)
    for task in job.tasks:
        n = task.result
        assert sorted(task.standard_output.splitlines()) == sorted(["print %d" % n, "fd1 %d" % n, "child %d" % n])
        assert sorted(task.standard_error.splitlines()) == sorted(["stderr %d" % n, "fd2 %d" % n, "child-err %d" % n])
    assert len({HOST_PLACE.fullmatch(t.host).group(1) for t in job.tasks}) <= 2


def test_a_task_class_the_host_cannot_import_says_how_to_ship_it(client, tmp_path):
    package = tmp_path / "elsewhere"
    package.mkdir()
    (package / "hidden_tasks.py").write_text("class Hidden:\n    def execute(self):\n        self.result = 1\n")
    sys.path.insert(0, str(package))
    try:
        import hidden_tasks
    finally:
        sys.path.remove(str(package))
    job = client.create_job()
    job.add_task(hidden_tasks.Hidden())
    job.submit()
    assert job.wait_until_done(60)
    task = job.tasks[0]
    assert task.task_status == TaskStatus.FAILED
    assert "cannot import module 'hidden_tasks'" in task.exception.message
    assert "cloudpickle.register_pickle_by_value(hidden_tasks)" in task.exception.message


class Unpicklable:
    def execute(self):
        import threading
        self.result = threading.Lock()


def test_an_unpicklable_result_fails_only_its_task(client1):
    job = client1.create_job()
    job.add_task(Pid())
    job.add_task(Unpicklable())
    job.add_task(Pid())
    job.submit()
    assert job.wait_until_done(60)
    assert [t.task_status for t in job.tasks] == [TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.COMPLETED]
    assert "cannot be pickled" in job.tasks[1].exception.message


def test_a_task_running_in_a_host_does_not_outlive_a_crashed_scheduler(taskmon_bin, tmp_path):
    running = RunningScheduler(taskmon_bin, slots=1)
    try:
        marker = tmp_path / "pid"
        with running.client() as connected:
            connected.connect()
            job = connected.create_job()
            job.add_task(Sleeper(str(marker)))
            job.submit()
            assert wait_for(lambda: marker.exists() and marker.read_text())
            pid = int(marker.read_text())
            running.process.kill()
            running.process.wait(10)
            assert wait_for(lambda: gone(pid))
    finally:
        running.stop()


class SlowSetup:
    def __init__(self, marker):
        self.marker = marker

    def setup(self):
        with open(self.marker, "w") as f:
            f.write(str(os.getpid()))
        time.sleep(120)


def test_canceling_a_task_whose_host_is_still_setting_up_ends_it_at_once(client1, tmp_path):
    marker = tmp_path / "pid"
    job = client1.create_job(task_environment=SlowSetup(str(marker)))
    job.add_task(Pid())
    job.submit()
    assert wait_for(lambda: marker.exists() and marker.read_text())
    assert job.tasks[0].task_status == TaskStatus.ASSIGNED  # setup is not execution
    job.cancel("setup takes too long")
    assert job.wait_until_done(30)
    assert job.tasks[0].task_status == TaskStatus.CANCELED
    assert "setup takes too long" in job.tasks[0].task_cancellation_message
    assert wait_for(lambda: gone(int(marker.read_text())))


def test_taskmon_show_names_the_host_and_the_environment_output(client, scheduler, taskmon_bin, tmp_path):
    import subprocess
    job = client.create_job(task_environment=CountingEnvironment(tmp_path / "log"))
    job.add_task(Pid())
    job.submit()
    assert job.wait_until_done(60)
    show = lambda address: subprocess.run([taskmon_bin, "show", "--state-dir", scheduler.state_dir, address],
                                          capture_output=True, text=True, timeout=60).stdout
    assert re.search(r"^host: host pid %d \(new, task 1 of it\)$" % job.tasks[0].pid, show("%d/0" % job.id), re.M)
    assert re.search(r"^environment output: .*/output/%d/setup\.stdout \(\d+ bytes\)$" % job.id, show(str(job.id)), re.M)
