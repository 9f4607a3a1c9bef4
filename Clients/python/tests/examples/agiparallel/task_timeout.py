# "Specify The Maximum Amount of Time a Task Should Run", imports adapted.
import time

from taskmon.agiparallel.client import ClusterJobScheduler
from taskmon.agiparallel.constants import TaskStatus


class LongRunningTask:
    def execute(self):
        time.sleep(60)


if __name__ == "__main__":
    with ClusterJobScheduler("localhost") as client:
        client.connect()
        job = client.create_job()
        job.task_execution_timeout = 1500  # milliseconds
        job.add_task(LongRunningTask())
        job.submit()
        job.wait_until_done()
        task = job.tasks[0]
        print(task.task_status)
        print(task.task_status == TaskStatus.TIMED_OUT)
