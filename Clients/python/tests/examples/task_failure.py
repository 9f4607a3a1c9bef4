"""working-with-task-results: "Task Failure", imports adapted."""
from taskmon.client import JobScheduler
from taskmon import TaskStatus


class DividesByZero:
    def execute(self):
        self.result = 1 / 0


with JobScheduler() as client:
    client.connect()
    job = client.create_job(name="task failure")
    job.add_task(DividesByZero())
    job.submit()
    job.wait_until_done()

    if job.tasks[0].task_status == TaskStatus.FAILED or job.tasks[0].task_status == TaskStatus.ENVIRONMENT_ERROR:
        print("Exception message is: ", job.tasks[0].result)
        print("StandardError also has the stack trace: ", job.tasks[0].standard_error)
    # Not on the page: the result is the exception object itself.
    print("Result type:", type(job.tasks[0].result).__name__, isinstance(job.tasks[0].result, ZeroDivisionError))
