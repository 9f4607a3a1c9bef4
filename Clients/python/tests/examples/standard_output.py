"""working-with-task-results: "StandardOutput and StandardError", imports adapted."""
from datetime import datetime
from socket import gethostname

from taskmon.client import JobScheduler


class WritesToStandardOutput:
    def execute(self):
        print("Current time in task is: ", datetime.now())
        print("Agent machine name: ", gethostname())


with JobScheduler() as client:
    client.connect()
    job = client.create_job(name="standard output")
    job.add_task(WritesToStandardOutput())
    job.submit()
    job.wait_until_done()

    print("Standard output: \n" + job.tasks[0].standard_output)
