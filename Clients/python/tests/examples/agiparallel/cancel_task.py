# Cancellation, imports adapted: cancel one task by its id, then the rest of the job.
import time

from taskmon.agiparallel.client import ClusterJobScheduler
from taskmon.agiparallel.constants import TaskCancellationReason, TaskStatus


class SlowTask:
    def execute(self):
        time.sleep(60)


def on_state_changed(task_status):
    task = task_status.task
    if task_status.task_state.status == TaskStatus.RUNNING and not task_started[task.unique_id]:
        task_started[task.unique_id] = True


task_started = {}

if __name__ == "__main__":
    with ClusterJobScheduler() as client:
        client.connect()
        job = client.create_job()
        first, second = SlowTask(), SlowTask()
        job.add_task(first)
        job.add_task(second)
        task_started = {first.unique_id: False, second.unique_id: False}
        job.task_state_changed = on_state_changed
        job.submit()
        deadline = time.time() + 30
        while not all(task_started.values()) and time.time() < deadline:
            time.sleep(0.05)
        client.cancel_task(first.unique_id)
        job.cancel()
        job.wait_until_done()
        for task in job.tasks:
            print(task.task_status, task.task_cancellation_reason == TaskCancellationReason.DIRECT)
