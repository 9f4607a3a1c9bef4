"""How tasks end and how the client follows them: environments, cancellation (direct and
consequential), timeouts, waiting, events, and jobs read back by another client."""

import os
import re
import signal
import threading
import time

import pytest

import pyclient_tasks
from taskmon import JobPriority, SchedulerConnectionError, SchedulerError, TaskCancellationReason, TaskError, TaskStatus


def wait_for(predicate, timeout=30, what="the condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def test_environment_setup_and_teardown_run_around_the_tasks(client, tmp_path):
    job = client.create_job(task_environment=pyclient_tasks.Environment(str(tmp_path)))
    job.add_task(pyclient_tasks.ReadsFile(str(tmp_path / "prepared")))
    job.add_task(pyclient_tasks.ReadsFile(str(tmp_path / "prepared")))
    job.submit()
    assert job.wait_until_done(60)
    assert [t.task_status for t in job.tasks] == [TaskStatus.COMPLETED] * 2
    assert [t.result for t in job.tasks] == ["prepared by setup"] * 2
    wait_for(lambda: (tmp_path / "torn-down").exists(), what="the teardown")


def test_environment_error_the_task_never_runs_and_its_result_is_the_exception(client, tmp_path):
    marker = tmp_path / "ran"
    job = client.create_job(task_environment=pyclient_tasks.FailingEnvironment())
    job.add_task(pyclient_tasks.WritesMarker(str(marker)))
    job.add_task(pyclient_tasks.WritesMarker(str(marker)))
    job.submit()
    assert job.wait_until_done(60)
    for task in job.tasks:
        assert task.task_status == TaskStatus.ENVIRONMENT_ERROR
        assert type(task.result).__name__ == "NoGpu"
        assert isinstance(task.result, pyclient_tasks.NoGpu)
        assert str(task.result) == "no GPU on this host"
        assert "pyclient_tasks.NoGpu: no GPU on this host" in task.standard_error
        # Each host that tried sets up in-process: one line per host that got that far.
        assert set(task.standard_output.splitlines()) == {"looking for a GPU"}
        assert task.exception.type == "pyclient_tasks.NoGpu", task.exception
        assert task.attempts == 0
    assert not marker.exists()


def test_direct_cancellation_with_message_and_reason(client, tmp_path):
    marker = tmp_path / "started"
    job = client.create_job()
    running = job.add_task(pyclient_tasks.Sleeps(600, str(marker)))
    queued = job.add_task(pyclient_tasks.Sleeps(600))
    queued_too = job.add_task(pyclient_tasks.Sleeps(600))
    job.submit()
    wait_for(marker.exists, what="the task to start")
    assert running.task_status == TaskStatus.RUNNING
    assert job.cancel("wrong input set") == 3
    assert job.wait_until_done(30)
    for task in (running, queued, queued_too):
        assert task.task_status == TaskStatus.CANCELED
        assert task.task_cancellation_reason == TaskCancellationReason.DIRECT
        assert re.fullmatch(r"Canceled by \S+: wrong input set", task.task_cancellation_message)
        assert task.result is None
    assert running.standard_output == "sleeping\n"


def test_cancel_one_task(client):
    job = client.create_job()
    job.add_task(pyclient_tasks.Echo("kept"))
    doomed = job.add_task(pyclient_tasks.Sleeps(600))
    job.submit()
    assert doomed.cancel() == 1
    assert job.wait_until_done(30)
    assert job.tasks[0].task_status == TaskStatus.COMPLETED
    assert doomed.task_status == TaskStatus.CANCELED
    assert doomed.task_cancellation_reason == TaskCancellationReason.DIRECT
    assert re.fullmatch(r"Canceled by \S+", doomed.task_cancellation_message)


def test_consequential_cancellation_through_cancel_on_task_failure(client):
    job = client.create_job(cancel_on_task_failure=True)
    job.add_task(pyclient_tasks.Sleeps(600))
    failing = job.add_task(pyclient_tasks.Fails())
    job.add_task(pyclient_tasks.Sleeps(600))
    job.submit()
    assert job.wait_until_done(30)
    assert failing.task_status == TaskStatus.FAILED
    for task in (job.tasks[0], job.tasks[2]):
        assert task.task_status == TaskStatus.CANCELED
        assert task.task_cancellation_reason == TaskCancellationReason.CONSEQUENTIAL
        assert task.task_cancellation_message == "Canceled because task 1 (Fails) failed"
    assert failing.task_cancellation_reason == TaskCancellationReason.NONE


def test_wait_until_done_returns_false_when_the_timeout_runs_out(client):
    job = client.create_job()
    job.add_task(pyclient_tasks.Sleeps(600))
    job.submit()
    started = time.monotonic()
    assert job.wait_until_done(timeout=0.5) is False
    assert 0.4 < time.monotonic() - started < 5
    assert job.tasks[0].task_status in (TaskStatus.ASSIGNED, TaskStatus.RUNNING)
    job.cancel()
    assert job.wait_until_done(timeout=30) is True


def test_a_task_that_runs_too_long_times_out(client):
    job = client.create_job(task_timeout=1)
    job.add_task(pyclient_tasks.Sleeps(600))
    job.add_task(pyclient_tasks.Echo("quick"))
    job.submit()
    started = time.monotonic()
    assert job.wait_until_done(30)
    assert time.monotonic() - started < 20
    slow = job.tasks[0]
    assert slow.task_status == TaskStatus.TIMED_OUT
    assert isinstance(slow.result, TaskError)
    assert slow.result.type_name == "TimeoutError"
    assert "ran longer than the job's task timeout of 1s" in str(slow.result)
    assert job.tasks[1].task_status == TaskStatus.COMPLETED


def test_a_host_killed_by_a_signal_is_interrupted_and_final_without_retries(client, tmp_path):
    marker = tmp_path / "started"
    job = client.create_job(max_interrupted_retries=0)
    task = job.add_task(pyclient_tasks.Sleeps(600, str(marker)))
    completed = []
    job.task_completed += completed.append
    job.submit()
    wait_for(marker.exists, what="the task to start")
    os.kill(task.pid, signal.SIGKILL)
    assert job.wait_until_done(30)
    assert task.task_status == TaskStatus.INTERRUPTED
    assert isinstance(task.result, TaskError) and task.result.type_name == "Interrupted"
    assert completed == [task]


def test_events_arrive_once_each_in_order(client):
    events = []
    lock = threading.Lock()

    def record(*args):
        with lock:
            events.append(args)

    job = client.create_job()
    job.add_task(pyclient_tasks.Echo(1))
    job.add_task(pyclient_tasks.Fails())
    job.task_state_changed += lambda task, previous, status: record("state", task.id, previous, status)
    job.task_completed += lambda task: record("completed", task.id, task.task_status, task.result if task.id == 0 else None)
    job.job_completed = lambda j: record("job", j.id)

    @job.task_completed.add
    def broken_handler(task):
        raise RuntimeError("a handler that raises does not stop the others")

    job.submit()
    assert job.wait_until_done(60)
    completions = [e for e in events if e[0] == "completed"]
    assert sorted(completions) == [("completed", 0, TaskStatus.COMPLETED, 1), ("completed", 1, TaskStatus.FAILED, None)]
    assert events[-1] == ("job", job.id)
    for index, final in ((0, TaskStatus.COMPLETED), (1, TaskStatus.FAILED)):
        states = [(e[2], e[3]) for e in events if e[0] == "state" and e[1] == index]
        assert states == [(TaskStatus.SUBMITTED, TaskStatus.ASSIGNED), (TaskStatus.ASSIGNED, TaskStatus.RUNNING),
                          (TaskStatus.RUNNING, final)]
        # The completion comes after the task's final state change.
        assert events.index(("state", index, TaskStatus.RUNNING, final)) < next(
            i for i, e in enumerate(events) if e[:2] == ("completed", index))


def test_wait_until_done_inside_a_handler_is_refused(client):
    errors = []

    def handler(task):
        try:
            task.job.wait_until_done()
        except RuntimeError as error:
            errors.append(str(error))

    job = client.create_job()
    job.add_task(pyclient_tasks.Echo(1))
    job.task_completed += handler
    job.submit()
    assert job.wait_until_done(30)
    assert errors and "cannot wait inside an event handler" in errors[0]


def test_another_client_reads_a_job_back(scheduler, client):
    job = client.create_job(name="shared", description="frames 1-2", priority="above_normal", task_timeout=30,
                            max_interrupted_retries=1, cancel_on_task_failure=True)
    job.add_task(pyclient_tasks.ReturnsPoint())
    job.add_task(pyclient_tasks.Sleeps(0.5))
    job.submit()
    with scheduler.client() as other:
        other.connect()
        same = other.get_job(job.id)
        assert same.name == "shared" and len(same.tasks) == 2
        assert (same.description, same.priority, same.task_timeout, same.max_interrupted_retries,
                same.cancel_on_task_failure) == ("frames 1-2", JobPriority.ABOVE_NORMAL, 30, 1, True)
        assert same.wait_until_done(30)
        assert same.tasks[0].result == pyclient_tasks.Point(3, 4)
        assert same.tasks[1].result == "woke up"
        assert same.tasks[1].name == "Sleeps"
        # A finished job: waiting again returns at once.
        assert same.wait_until_done(0) is True
        with pytest.raises(SchedulerError, match="no job 999"):
            other.get_job(999)


def test_two_job_objects_of_one_job_in_one_client_are_both_followed(client, tmp_path):
    # get_job() of a job this client follows used to take its place: the first object then
    # heard nothing more and waited for ever.
    go = tmp_path / "go"
    job = client.create_job()
    job.add_task(pyclient_tasks.WaitsForGo(str(go)))
    job.submit()
    same = client.get_job(job.id)
    assert same.wait_until_done(0) is False  # now both follow it
    completed = []
    job.task_completed += lambda task: completed.append("job")
    same.task_completed += lambda task: completed.append("same")
    go.touch()
    assert job.wait_until_done(30) and same.wait_until_done(30)
    assert sorted(completed) == ["job", "same"]
    assert job.tasks[0].result == same.tasks[0].result == "went"


def test_a_job_is_followed_again_after_a_disconnect(client):
    job = client.create_job()
    job.add_task(pyclient_tasks.Sleeps(1))
    job.submit()
    client.disconnect()
    client.connect()
    assert job.wait_until_done(30)
    assert job.tasks[0].result == "woke up"


def test_disconnecting_ends_a_wait_in_another_thread(client):
    job = client.create_job()
    job.add_task(pyclient_tasks.Sleeps(600))
    job.submit()
    threading.Timer(0.5, client.disconnect).start()
    with pytest.raises(SchedulerConnectionError, match="the client was disconnected"):
        job.wait_until_done(30)
