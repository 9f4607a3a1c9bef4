"""working-with-task-results: "Putting it all together": the common pattern that handles each
task status after the job is done, imports adapted. One job whose tasks complete, fail, time
out and are canceled, and one whose environment fails."""
import time

from taskmon.client import JobScheduler
from taskmon import TaskStatus


class Render:
    def __init__(self, frame):
        self.name = "frame-%d" % frame
        self.frame = frame

    def execute(self):
        print("rendering frame", self.frame)
        self.set_property("Frame", self.frame)
        self.set_progress(100, "rendered")
        self.result = "frame-%d.png" % self.frame


class Broken:
    name = "broken"

    def execute(self):
        self.set_property("Stage", "loading")
        raise IOError("missing texture: wood.png")


class TooSlow:
    name = "too-slow"

    def execute(self):
        time.sleep(600)


class MissingDriver:
    def setup(self):
        raise RuntimeError("the render driver is not installed")


def handle(task):
    if task.task_status == TaskStatus.COMPLETED:
        # This is the only state where the result is guaranteed to be our own value.
        print(task.name, "completed:", task.result, task.properties)
        print("  output:", task.standard_output.strip())
    elif task.task_status == TaskStatus.FAILED:
        print(task.name, "failed:", repr(task.result))
        print("  properties still came back:", task.properties)
        print("  stack trace ends with:", task.standard_error.strip().splitlines()[-1])
    elif task.task_status == TaskStatus.ENVIRONMENT_ERROR:
        print(task.name, "environment error:", repr(task.result))
    elif task.task_status == TaskStatus.TIMED_OUT:
        print(task.name, "timed out:", task.result)
    elif task.task_status == TaskStatus.CANCELED:
        print(task.name, "canceled:", task.task_cancellation_message, task.task_cancellation_reason)
    elif task.task_status == TaskStatus.INTERRUPTED:
        print(task.name, "interrupted, retries used up:", task.interrupted_retry_attempts)
    else:
        print(task.name, "not finished:", task.task_status)


with JobScheduler() as client:
    client.connect()

    job = client.create_job(name="all together", task_timeout=3)
    job.add_task(Render(1))
    job.add_task(Broken())
    job.add_task(TooSlow())
    waiting = job.add_task(Render(2))
    job.submit()
    waiting.cancel("not needed after all")
    job.wait_until_done()

    setup_fails = client.create_job(name="all together: environment", task_environment=MissingDriver())
    setup_fails.add_task(Render(3))
    setup_fails.submit()
    setup_fails.wait_until_done()

    for task in job.tasks + setup_fails.tasks:
        handle(task)
