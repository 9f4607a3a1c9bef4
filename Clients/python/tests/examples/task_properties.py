"""working-with-task-results: "Task Properties", imports adapted."""
from taskmon.client import JobScheduler


class PropertiesExampleTask():
    def execute(self):
        self.set_property("Property1", 100)
        self.set_property("Property2", "one hundred")
        self.result = "This won't get back to the scheduler"
        raise Exception("Task failure")


with JobScheduler() as client:
    client.connect()
    job = client.create_job(name="task properties")
    job.add_task(PropertiesExampleTask())
    job.submit()
    job.wait_until_done()

    # after the task failed
    print("Task status = ", job.tasks[0].task_status)
    # our result property is an exception
    print("Exception is " + job.tasks[0].result)
    # we can still get the properties
    print("Property1: " + job.tasks[0].properties["Property1"])
    print("Property2: " + job.tasks[0].properties["Property2"])
