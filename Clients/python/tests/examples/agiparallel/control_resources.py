# "Constrain the Amount of Resources Required for a Task to be Scheduled", imports adapted:
# tasks that ask for 2 cores each, on a scheduler of 2 slots, run one at a time.
import os
import time

from taskmon.agiparallel.client import ClusterJobScheduler
from taskmon.agiparallel.constants import ConsumableResources, TaskStatus


class Task:
    def __init__(self, folder):
        self.folder = folder

    def execute(self):
        mark = os.path.join(self.folder, str(os.getpid()) + "-" + str(time.monotonic()))
        open(mark, "w").close()
        self.result = len(os.listdir(self.folder))  # tasks alive now, this one included
        time.sleep(0.3)
        os.unlink(mark)


allocated = []


def on_core_task_state_changed(task_status):
    if task_status.task_state.status == TaskStatus.ASSIGNED:
        allocated.append(task_status.task_state.allocated_task_resources[ConsumableResources.CORES])


if __name__ == "__main__":
    import sys
    folder = sys.argv[1]
    with ClusterJobScheduler("localhost") as scheduler:
        scheduler.connect()
        job = scheduler.create_job()
        for _ in range(3):
            task = Task(folder)
            task.requested_task_resources = {ConsumableResources.CORES: 2}
            job.add_task(task)
        job.task_state_changed = on_core_task_state_changed
        job.submit()
        job.wait_until_done()
        print("Cores allocated:", allocated)
        print("Alive at once:", [task.result for task in job.tasks])
