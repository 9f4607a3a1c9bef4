# "Set Host Working Directory", imports adapted.
import os
import sys

from taskmon.agiparallel.client import ClusterJobScheduler


class WhereAmI:
    def execute(self):
        self.result = os.getcwd()


if __name__ == "__main__":
    folder = sys.argv[1]
    with ClusterJobScheduler() as client:
        client.connect()
        job = client.create_job()
        job.task_environment.working_directory = folder
        job.add_task(WhereAmI())
        job.submit()
        job.wait_until_done()
        print(job.tasks[0].result == os.path.realpath(folder))
