"""What a task returns: results, exceptions, properties, output and progress, read back
through the client from a real scheduler."""

import pytest

import pyclient_tasks
from taskmon import TaskError, TaskStatus, UnpicklableResultError


def run_one(client, task, **options):
    job = client.create_job(**options)
    proxy = job.add_task(task)
    job.submit()
    assert job.wait_until_done(60)
    return proxy


def test_user_defined_result_class_round_trips(client):
    task = run_one(client, pyclient_tasks.ReturnsPoint())
    assert task.task_status == TaskStatus.COMPLETED
    assert type(task.result) is pyclient_tasks.Point
    assert task.result == pyclient_tasks.Point(3, 4)


def test_result_of_each_basic_type(client):
    values = [None, 42, 2.5, "text", b"\x00bytes", [1, {"a": (2, 3)}], {"nested": {1, 2}}]
    job = client.create_job()
    for value in values:
        job.add_task(pyclient_tasks.Echo(value))
    job.submit()
    assert job.wait_until_done(60)
    assert [t.result for t in job.tasks] == values
    assert job.tasks[3].standard_output == "echo text\n"


def test_properties_of_all_four_types_come_back_after_a_failure(client):
    task = run_one(client, pyclient_tasks.AllPropertiesThenFails())
    assert task.task_status == TaskStatus.FAILED
    assert task.properties == {
        "text": "one hundred", "count": 100, "ratio": 0.25, "blob": b"\x00\x01\xfe\xff",
        "flag": 1, "buffer": b"ab",
    }
    props = task.properties
    assert isinstance(props["count"], int) and isinstance(props["ratio"], float)
    assert isinstance(props["blob"], bytes) and isinstance(props["text"], str)
    # The result is the exception, not what the task set before it raised.
    assert isinstance(task.result, ValueError)
    assert str(task.result) == "after the properties"
    assert task.exception.type == "ValueError"
    assert task.exception.message == "after the properties"


def test_a_property_of_another_type_raises_type_error_in_the_task(client):
    task = run_one(client, pyclient_tasks.BadProperty())
    assert task.task_status == TaskStatus.FAILED
    assert isinstance(task.result, TypeError)
    assert "property 'list': values must be str, int, float or bytes, not list" in str(task.result)
    assert task.properties == {"ok": 1}
    assert "TypeError: property 'list'" in task.standard_error


def test_failure_gives_the_exception_and_the_traceback_on_standard_error(client):
    task = run_one(client, pyclient_tasks.Fails())
    assert task.task_status == TaskStatus.FAILED
    assert type(task.result).__name__ == "RuntimeError" and isinstance(task.result, RuntimeError)
    assert task.result.args == ("boom",)
    assert task.standard_error.startswith("Traceback (most recent call last):\n")
    assert 'raise RuntimeError("boom")' in task.standard_error
    assert task.standard_error.endswith("RuntimeError: boom\n")
    assert "taskmon/host.py" not in task.standard_error
    assert task.exception.trace == task.standard_error
    with pytest.raises(RuntimeError, match="boom"):
        raise task.result


def test_an_exception_that_cannot_be_pickled_becomes_a_generic_one(client):
    task = run_one(client, pyclient_tasks.RaisesUnpicklable())
    assert task.task_status == TaskStatus.FAILED
    result = task.result
    assert isinstance(result, TaskError)
    assert result.type_name == "pyclient_tasks.Unpicklable"
    assert result.message == "holds a lock"
    assert str(result) == "pyclient_tasks.Unpicklable: holds a lock"
    assert "pyclient_tasks.Unpicklable: holds a lock" in task.standard_error


def test_a_result_that_cannot_be_pickled_fails_the_task(client):
    task = run_one(client, pyclient_tasks.UnpicklableResult())
    assert task.task_status == TaskStatus.FAILED
    assert isinstance(task.result, UnpicklableResultError)
    assert "the task's result (_thread.lock) cannot be pickled" in str(task.result)
    assert "UnpicklableResultError" in task.standard_error


def test_large_output_is_read_whole(client):
    task = run_one(client, pyclient_tasks.Chatty(3))
    assert task.task_status == TaskStatus.COMPLETED
    out = task.standard_output
    assert len(out) == 3 * 1024 * 1024
    assert out == ("x" * 1023 + "\n") * (3 * 1024)
    assert task.standard_error == "to stderr\n"


def test_large_result_travels_through_a_file(client):
    big = "y" * (3 << 20)
    task = run_one(client, pyclient_tasks.Echo(big))
    assert task.task_status == TaskStatus.COMPLETED
    assert task.result == big


def test_progress_events_and_last_progress(client):
    seen = []
    job = client.create_job()
    job.add_task(pyclient_tasks.Progress())
    job.task_progress_updated += lambda task, progress: seen.append(progress)
    job.submit()
    assert job.wait_until_done(60)
    assert seen, "no progress event arrived"
    assert all(0 <= p.percent <= 100 for p in seen)
    assert [p.percent for p in seen] == sorted(p.percent for p in seen)
    assert job.tasks[0].progress.percent == 100
    assert job.tasks[0].progress.info == "step 4"


def test_tasks_are_named_after_their_name_attribute_or_class(client):
    job = client.create_job()
    job.add_task(pyclient_tasks.Echo(1, name="first"))
    job.add_task(pyclient_tasks.Echo(2))
    job.submit()
    assert job.wait_until_done(60)
    info = client._call("get_job", {"job_id": job.id, "include_tasks": True})
    assert [t["name"] for t in info["tasks"]] == ["first", "Echo"]
    # What the monitor shows as the result: its repr.
    assert info["tasks"][0]["result"]["display"] == "1"
    assert info["tasks"][0]["result"]["type"] == "int"
    # Attributes of the task object are read through job.tasks[i].
    assert job.tasks[0].value == 1
