"""The reference's API (taskmon.agiparallel): the pages' examples, each a script run as a user
runs it against a real scheduler with only its import lines changed; every option round-trips;
bad input gets a clear error."""

import re

import pytest

from pyclient_support import TESTS, run_script

EXAMPLES = TESTS / "examples" / "agiparallel"


def run_example(name, scheduler, *args, timeout=90):
    done = run_script(EXAMPLES / name, scheduler, *args, timeout=timeout)
    assert done.returncode == 0, "%s failed:\n%s\n%s" % (name, done.stdout, done.stderr)
    return done.stdout.splitlines()


def test_examples_use_only_the_reference_names():
    for path in EXAMPLES.glob("*.py"):
        for line in path.read_text().splitlines():
            if line.startswith(("import ", "from ")) and "agiparallel" in line:
                assert line.startswith("from taskmon.agiparallel."), (path.name, line)


def test_optimize_task_setup_time_second_job_reuses_the_warm_host(scheduler):
    out = run_example("task_environment.py", scheduler)
    first = int(re.fullmatch(r"First job took (\d+) ms", out[0]).group(1))
    second = int(re.fullmatch(r"Second job took (\d+) ms", out[1]).group(1))
    assert first >= 2000, out
    assert second < 2000, out  # setup() did not run again (no timing margin is relied on: 2 s is setup's own sleep)
    assert out[2] == "computed once per host"


def test_task_execution_timeout_is_in_milliseconds(scheduler):
    assert run_example("task_timeout.py", scheduler) == ["TIMED_OUT", "True"]


def test_cancel_task_by_id_then_the_job(scheduler):
    assert run_example("cancel_task.py", scheduler) == ["CANCELED True", "CANCELED True"]


def test_progress_handler_gets_task_id_and_information_keeping_its_type(scheduler):
    out = run_example("task_progress.py", scheduler)
    assert out[0] == "done"
    assert out[1] == "True"
    progress = eval(out[2])
    assert progress and set(progress) <= {20, 1250, 2500} and progress == sorted(progress)
    assert progress[-1] == 2500, "the reference keeps any int; it is not clamped to 100"
    assert out[3] == "['int']"


def test_host_working_directory(scheduler, tmp_path):
    assert run_example("working_directory.py", scheduler, str(tmp_path)) == ["True"]


def test_completion_events_and_results_on_the_added_objects(scheduler):
    out = run_example("task_completed.py", scheduler)
    assert out[0] == str(sorted([("job", n, True) for n in range(3)] + [("own", n, n * n) for n in range(3)]))
    assert out[1] == "('all', 3, None)"
    assert out[2] == "[0, 1, 4] ['task 0\\n', 'task 1\\n', 'task 2\\n']"


def test_preconditions_are_checked_against_this_machine(scheduler):
    out = run_example("preconditions.py", scheduler)
    assert out[0] == "ran"
    assert out[1].startswith("refused: the job cannot run on this machine: this machine's Hostname is ")
    assert "member_of ['no-such-machine']" in out[1]
    assert out[2].startswith("refused: the job cannot run on this scheduler: ")
    assert "10000000 MB" in out[2] and "resources.memory_mb" in out[2]
    assert out[3] == "2"
    assert out[4] == "1"


def test_control_agent_preconditions_name_this_machine_and_a_free_core(scheduler):
    assert run_example("control_agent.py", scheduler) == ["True"]


def test_requested_task_resources_take_that_many_slots(scheduler, tmp_path):
    out = run_example("control_resources.py", scheduler, str(tmp_path))
    assert out[0] == "Cores allocated: [2, 2, 2]"
    assert out[1] == "Alive at once: [1, 1, 1]", "2-core tasks on 2 slots must not overlap"


# -- options and bad input, in process --------------------------------------------------------------

from taskmon.agiparallel.client import ClusterJobScheduler, Job, JobSchedulerException, OPTIONS  # noqa: E402
from taskmon.agiparallel.constants import AgentSelectionType, JobPriority  # noqa: E402


@pytest.fixture
def agi(scheduler):
    with ClusterJobScheduler(state_dir=scheduler.state_dir) as client:
        client.connect()
        yield client


def test_defaults_are_the_references(agi):
    job = agi.create_job()
    assert job.task_execution_timeout == -1
    assert job.max_interrupted_retry_attempts == 5
    assert job.priority == JobPriority.NORMAL
    assert job.agent_selection_preference == AgentSelectionType.DEFAULT
    assert job.cancel_on_task_failure is False and job.cancel_on_client_disconnection is False
    assert job.name is None and job.description is None and job.task_preconditions == []
    assert job.task_environment.working_directory is None


class _Quick:
    def execute(self):
        self.result = 1


def test_state_change_handlers_get_the_references_event_args(agi):
    # The reference's names: task_status.task_state.status and .allocated_task_resources (its
    # Python How-To "Constrain the Amount of Resources Required for a Task to be Scheduled"),
    # task, previous_status and new_status (TaskStatusChangedEventArgs; its .NET and Java pages).
    from taskmon.agiparallel.constants import ConsumableResources, TaskStatus
    job = agi.create_job()
    task = _Quick()
    job.add_task(task)
    seen = []
    job.task_state_changed = lambda args: seen.append((args.task is task, args.previous_status, args.new_status,
                                                       args.task_state.status,
                                                       args.task_state.allocated_task_resources[ConsumableResources.CORES]))
    job.submit()
    assert job.wait_until_done(time_out_in_milliseconds=60000)
    assert [entry[1:4] for entry in seen] == [
        (TaskStatus.SUBMITTED, TaskStatus.ASSIGNED, TaskStatus.ASSIGNED),
        (TaskStatus.ASSIGNED, TaskStatus.RUNNING, TaskStatus.RUNNING),
        (TaskStatus.RUNNING, TaskStatus.COMPLETED, TaskStatus.COMPLETED)], seen
    assert all(entry[0] for entry in seen), "the task is the object given to add_task"
    assert seen[0][4] == 1, "one core by default"


def test_every_option_round_trips_to_the_scheduler(agi):
    job = agi.create_job()
    job.name = "round trip"
    job.description = "all options"
    job.priority = JobPriority.HIGH
    job.task_execution_timeout = 2500
    job.max_interrupted_retry_attempts = 4
    job.cancel_on_task_failure = True
    job.cancel_on_client_disconnection = True
    job.agent_selection_preference = AgentSelectionType.ROUND_ROBIN
    for name in OPTIONS:
        assert getattr(job, name) is not None or name in ("task_preconditions",)
    job.add_task(_Quick())
    job.submit()
    assert job.wait_until_done(60000)
    info = agi._native._call("get_job", {"job_id": job.id, "include_tasks": False})
    assert info["name"] == "round trip" and info["description"] == "all options"
    assert info["priority"] == "high"
    assert info["task_timeout"] == 2.5
    assert info["max_interrupted_retries"] == 4
    assert info["cancel_on_task_failure"] is True
    assert job.agent_selection_preference == AgentSelectionType.ROUND_ROBIN
    with pytest.raises(RuntimeError):
        job.priority = JobPriority.LOW


def test_unknown_attribute_names_the_closest_option(agi):
    job = agi.create_job()
    with pytest.raises(AttributeError, match=r"no option 'max_interupted_retry_attempts'; did you mean 'max_interrupted_retry_attempts'"):
        job.max_interupted_retry_attempts = 2
    with pytest.raises(AttributeError, match="its options are"):
        job.zzz = 1


@pytest.mark.parametrize("name, value, error", [
    ("task_execution_timeout", 0, ValueError), ("task_execution_timeout", "10", TypeError),
    ("max_interrupted_retry_attempts", -1, ValueError), ("cancel_on_task_failure", 1, TypeError),
    ("priority", "urgent", ValueError), ("name", 3, TypeError),
])
def test_bad_option_values_are_refused_when_set(agi, name, value, error):
    with pytest.raises(error):
        setattr(agi.create_job(), name, value)


class _Plain:
    def execute(self):
        pass


def _asking(resources):
    task = _Plain()
    task.requested_task_resources = resources
    return task


@pytest.mark.parametrize("resources, words", [
    ({"GPUs": 1}, "unknown resource 'GPUs'"),
    ({"Cores": 0}, "at least 1"),
    ({"Cores": "two"}, "at least 1"),
    ({"Memory": 10 ** 12}, "must be from 1 to"),
    ([("Cores", 2)], "must be a dict"),
])
def test_bad_requested_task_resources_are_refused_at_submit(agi, resources, words):
    job = agi.create_job()
    job.add_task(_asking(resources))
    with pytest.raises(JobSchedulerException, match=re.escape(words)):
        job.submit()
    assert job.id is None


def test_bad_preconditions_are_refused_when_made(agi):
    from taskmon.agiparallel.constants import CommonResources, Operator
    job = agi.create_job()
    with pytest.raises(ValueError, match="unknown operation 'about'"):
        job.add_task_preconditions(resource=CommonResources.HOSTNAME, operation="about", resource_value="x")
    with pytest.raises(TypeError, match="MEMBER_OF needs a list"):
        job.add_task_preconditions(resource=CommonResources.HOSTNAME, operation=Operator.MEMBER_OF, resource_value="x")
    job.add_task_preconditions(resource=CommonResources.AVAILABLE_CORES, operation=Operator.GREATER_THAN,
                               resource_value="many")
    job.add_task(_Plain())
    with pytest.raises(JobSchedulerException, match="needs a number"):
        job.submit()


def test_more_cores_than_slots_is_refused_at_submit_not_queued_for_ever(agi):
    from taskmon.agiparallel.constants import ConsumableResources
    job = agi.create_job()
    job.add_task(_asking({ConsumableResources.CORES: 3}))
    with pytest.raises(JobSchedulerException, match=r"needs 3 cores and this scheduler has 2 slot"):
        job.submit()


def test_another_host_is_refused_with_what_to_do():
    with pytest.raises(JobSchedulerException, match="use ClusterJobScheduler\\(\\) or ClusterJobScheduler\\('localhost'\\)"):
        ClusterJobScheduler("coordinator.example.com", 9090)


def test_none_and_localhost_reach_the_local_scheduler(scheduler, monkeypatch):
    monkeypatch.setenv("TASKMON_STATE_DIR", scheduler.state_dir)
    for hostname in (None, "localhost"):
        with ClusterJobScheduler(hostname, 9090) as client:
            client.connect()
            assert client.get_server_maximum_host_count() == 2


def test_an_interactive_job_is_canceled_when_its_client_goes(scheduler, client):
    out = run_example("interactive_job.py", scheduler)
    job = client.get_job(int(out[0]))
    assert job.wait_until_done(30)
    from taskmon import TaskStatus
    assert job.tasks[0].task_status == TaskStatus.CANCELED


REFERENCE_MODULES = [
    "AgentSnapshot", "ConsumableResourceRange", "HardDiskStatus", "HostRecycleSettings", "NetworkStatus",
    "TaskEnvironment", "TaskEnvironmentDefinition", "TaskEnvironmentIdentification", "TaskEnvironmentMetadata",
    "TaskMetadata", "TaskPrecondition", "TaskProgressInformation", "TaskState",
]


@pytest.mark.parametrize("name", REFERENCE_MODULES)
def test_each_infrastructure_type_lives_in_its_own_module_as_in_the_reference(name):
    import importlib
    module = importlib.import_module("taskmon.agiparallel.infrastructure." + name)
    assert isinstance(getattr(module, name), type)


class _EnvPid:
    def execute(self):
        self.result = os.getpid()


def test_hosts_are_shared_only_between_environments_with_the_same_identification(agi):
    from taskmon.agiparallel.infrastructure.TaskEnvironment import TaskEnvironment

    def run(additional_id):
        environment = TaskEnvironment()
        environment.unique_id = "shared-id"
        environment.additional_id = additional_id
        job = agi.create_job()
        job.set_task_environment(environment)
        task = _EnvPid()
        job.add_task(task)
        job.submit()
        assert job.wait_until_done(60000)
        return task.result

    first = run("v1")
    assert run("v1") == first      # the warm host of the first job
    assert run("v2") != first      # another version: a host of its own


import os  # noqa: E402
import time  # noqa: E402


class _Lingers:
    def __init__(self, marker):
        self.marker = marker

    def execute(self):
        import time
        open(self.marker, "w").close()
        time.sleep(1.5)


def test_the_agent_snapshot_counts_tasks_not_the_cores_they_hold(agi, tmp_path):
    from taskmon.agiparallel.constants import ConsumableResources
    job = agi.create_job()
    task = _Lingers(str(tmp_path / "started"))
    task.requested_task_resources = {ConsumableResources.CORES: 2}
    job.add_task(task)
    job.submit()
    deadline = time.monotonic() + 60
    while not (tmp_path / "started").exists():
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.05)
    agent = agi.get_coordinator_snapshot().agents[0]
    assert (agent.capacity, agent.running_tasks) == (2, 1)
    assert job.wait_until_done(60000)


class _Sleeps:
    def __init__(self, seconds):
        self.seconds = seconds

    def execute(self):
        import time
        time.sleep(self.seconds)
        self.result = self.seconds


def test_wait_until_done_with_a_heartbeat_calls_it_while_the_job_runs(agi):
    # The reference's WaitUntilDone(timeout, heartbeat callback, heartbeat period) overload.
    job = agi.create_job()
    task = _Sleeps(1.0)
    job.add_task(task)
    job.submit()
    beats = []
    assert job.wait_until_done(60000, lambda: beats.append(time.monotonic()), 100)
    assert len(beats) >= 3, beats
    assert task.result == 1.0

    slow = agi.create_job()
    slow.add_task(_Sleeps(30))
    slow.submit()
    beats.clear()
    started = time.monotonic()
    assert slow.wait_until_done(500, lambda: beats.append(1), 100) is False
    assert time.monotonic() - started < 10
    assert beats, "no heartbeat while the job ran past the timeout"
    slow.cancel()

    with pytest.raises(ValueError, match="heartbeat_in_milliseconds"):
        slow.wait_until_done(10, lambda: None, 0)
