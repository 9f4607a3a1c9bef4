"""working-with-task-results: "Task Environment Failure" (the page shows no code; this is the
"Task Failure" check applied to a job whose environment fails), imports adapted."""
import os
import sys

from taskmon.client import JobScheduler
from taskmon import TaskStatus

MARKER = sys.argv[1] if len(sys.argv) > 1 else os.devnull


class LicenseMissing(Exception):
    pass


class NeedsLicense:
    def setup(self):
        raise LicenseMissing("no license server reachable")

    def teardown(self):
        pass


class OurTask:
    def execute(self):
        with open(MARKER, "a") as f:
            f.write("the task ran\n")


with JobScheduler() as client:
    client.connect()
    job = client.create_job(name="environment failure", task_environment=NeedsLicense())
    job.add_task(OurTask())
    job.add_task(OurTask())
    job.submit()
    job.wait_until_done()

    for task in job.tasks:
        if task.task_status == TaskStatus.FAILED or task.task_status == TaskStatus.ENVIRONMENT_ERROR:
            print("Status:", task.task_status)
            print("Exception message is: ", task.result)
            print("Result is the setup's exception:", isinstance(task.result, LicenseMissing))
            print("StandardError also has the stack trace: ", task.standard_error)
