"""working-with-task-results: "Result Property", a user-defined result, imports adapted."""
from datetime import datetime

from taskmon.client import JobScheduler

from socket import gethostname


class SimpleTask:
    def execute(self):
        name = gethostname()
        self.result = MyTaskResult(name)


# the result object must be serializable
class MyTaskResult:
    def __init__(self, machine_name):
        self.time = datetime.now()
        self.machine_name = machine_name


with JobScheduler() as client:
    client.connect()
    job = client.create_job(name="user-defined result")
    job.add_task(SimpleTask())
    job.submit()
    job.wait_until_done()

    result = job.tasks[0].result
    print(type(result))  # should be <class 'MyTaskResult'>
    print("Time = ", result.time)
    print("Machine Name = ", result.machine_name)
    # Not on the page: the copy is an instance of this script's own class.
    print("Same class:", type(result) is MyTaskResult)
