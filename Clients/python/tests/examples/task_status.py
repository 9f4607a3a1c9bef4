"""working-with-task-results: "Task Status" (the snippet the page includes), imports adapted."""
from taskmon.client import JobScheduler
from taskmon import TaskStatus


class OurTask():
    def execute(self):
        self.set_property("Frames", 100)
        self.result = "Hello from task"


with JobScheduler() as client:
    client.connect()
    job = client.create_job(name="task status")
    job.add_task(OurTask())
    job.submit()
    job.wait_until_done()
    task = job.tasks[0]

    if (task.task_status == TaskStatus.COMPLETED):
        # Task ran without throwing an uncaught exception.
        # This is the only state where your Result object is guaranteed to be your user defined result.
        print(task.properties)
        print("Result: " + str(task.result))
