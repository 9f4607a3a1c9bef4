# Task preconditions, imports adapted: one this machine meets, one that names another machine,
# and a reservation of more memory than the scheduler has (refused at submit, never queued).
from taskmon.agiparallel.client import ClusterJobScheduler, JobSchedulerException
from taskmon.agiparallel.constants import CommonResources, Operator
from taskmon.agiparallel.infrastructure.TaskPrecondition import TaskPrecondition


class Task:
    def execute(self):
        self.result = "ran"


if __name__ == "__main__":
    with ClusterJobScheduler() as client:
        client.connect()
        job = client.create_job()
        job.add_task_preconditions(TaskPrecondition(CommonResources.TOTAL_CORES, Operator.GREATER_THAN_OR_EQUAL, 1))
        job.add_task(Task())
        job.submit()
        job.wait_until_done()
        print(job.tasks[0].result)
        elsewhere = client.create_job()
        elsewhere.add_task_preconditions(resource=CommonResources.HOSTNAME, operation=Operator.MEMBER_OF,
                                         resource_value=["no-such-machine"])
        elsewhere.add_task(Task())
        try:
            elsewhere.submit()
        except JobSchedulerException as error:
            print("refused:", error)
        greedy = client.create_job()
        greedy.add_task_preconditions(CommonResources.AVAILABLE_MEMORY, Operator.GREATER_THAN_OR_EQUAL, 10 ** 7)
        greedy.add_task(Task())
        try:
            greedy.submit()
        except JobSchedulerException as error:
            print("refused:", error)
        print(client.get_server_maximum_host_count())
        print(len(client.get_coordinator_snapshot().agents))
