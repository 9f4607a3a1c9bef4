# "Constrain the Amount of Resources Required for a Task to be Scheduled", imports adapted.
from taskmon.agiparallel.client import ClusterJobScheduler, JobSchedulerException
from taskmon.agiparallel.constants import PreconditionOperator, SystemProperties
from taskmon.agiparallel.infrastructure.TaskPrecondition import TaskPrecondition


class Task:
    def execute(self):
        self.result = "ran"


if __name__ == "__main__":
    with ClusterJobScheduler() as client:
        client.connect()
        job = client.create_job()
        job.add_task_preconditions(TaskPrecondition(SystemProperties.TOTAL_CORES, PreconditionOperator.GREATER_THAN_OR_EQUAL, 1))
        job.add_task(Task())
        job.submit()
        job.wait_until_done()
        print(job.tasks[0].result)
        greedy = client.create_job()
        greedy.add_task_preconditions(SystemProperties.AVAILABLE_MEMORY, PreconditionOperator.GREATER_THAN_OR_EQUAL, 10 ** 9)
        greedy.add_task(Task())
        try:
            greedy.submit()
        except JobSchedulerException as error:
            print("refused:", error)
        print(client.get_server_maximum_host_count())
        print(len(client.get_coordinator_snapshot().agents))
