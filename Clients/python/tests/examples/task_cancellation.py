"""working-with-task-results: "Task Cancellation", imports adapted."""
import time

from taskmon.client import JobScheduler
from taskmon import TaskStatus


class LongTask:
    def execute(self):
        time.sleep(600)


with JobScheduler() as client:
    client.connect()
    job = client.create_job(name="task cancellation")
    job.add_task(LongTask())
    job.submit()
    while job.tasks[0].task_status != TaskStatus.RUNNING:
        time.sleep(0.05)
    job.cancel("wrong input set")
    job.wait_until_done()

    if job.tasks[0].task_status == TaskStatus.CANCELED:
        print(job.tasks[0].task_cancellation_message)
    print("Reason:", job.tasks[0].task_cancellation_reason)
