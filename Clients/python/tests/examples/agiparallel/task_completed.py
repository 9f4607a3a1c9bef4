# "Monitoring Jobs": the job's task_completed, the task's own on_completed, job_completed.
from taskmon.agiparallel.client import ClusterJobScheduler
from taskmon.agiparallel.constants import TaskStatus


class OurTask:
    def __init__(self, n):
        self.n = n

    def execute(self):
        print("task", self.n)
        self.result = self.n * self.n


events = []

if __name__ == "__main__":
    with ClusterJobScheduler("localhost") as client:
        client.connect()
        job = client.create_job()
        job.name = "squares"
        job.max_interrupted_retry_attempts = 2
        tasks = [OurTask(n) for n in range(3)]
        for task in tasks:
            task.on_completed = lambda t: events.append(("own", t.n, t.result))
            job.add_task(task)
        job.task_completed = lambda t: events.append(("job", t.n, t.task_status == TaskStatus.COMPLETED))
        job.job_completed = lambda j: events.append(("all", len(j.tasks), None))
        job.submit()
        job.wait_until_done()
        print(sorted(e for e in events if e[0] != "all"))
        print(events[-1])
        print([t.result for t in tasks], [t.standard_output for t in tasks])
