# "Control Agent that is Selected to Run Task", imports adapted: the first agent's machine
# name as a precondition, and at least one free core.
from socket import gethostname

from taskmon.agiparallel.client import ClusterJobScheduler
from taskmon.agiparallel.constants import CommonResources, Operator


class Task:
    def execute(self):
        self.result = "Hello from " + gethostname()


if __name__ == "__main__":
    with ClusterJobScheduler("localhost") as scheduler:
        scheduler.connect()
        agents = scheduler.get_coordinator_snapshot().agents
        job = scheduler.create_job()
        job.add_task_preconditions(resource=CommonResources.HOSTNAME, operation=Operator.MEMBER_OF,
                                   resource_value=[agents[0].machine_name])
        job.add_task_preconditions(resource=CommonResources.AVAILABLE_CORES, operation=Operator.GREATER_THAN,
                                   resource_value=0)
        job.add_task(Task())
        job.submit()
        job.wait_until_done()
        print(job.tasks[0].result == "Hello from " + gethostname())
