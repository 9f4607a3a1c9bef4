"""working-with-task-results: "Result Property", the first example, imports adapted."""
from taskmon.client import JobScheduler


class OurTask():
    def execute(self):
        self.result = "Hello from task"


with JobScheduler() as client:
    client.connect()
    job = client.create_job(name="result property")
    job.add_task(OurTask())
    job.submit()
    job.wait_until_done()
    print(job.tasks[0].result)
