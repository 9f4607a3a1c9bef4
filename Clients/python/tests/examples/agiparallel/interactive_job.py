# cancel_on_client_disconnection, imports adapted: the program leaves without waiting; its
# interactive job is canceled when it disconnects.
import sys
import time

from taskmon.agiparallel.client import ClusterJobScheduler


class Forever:
    def execute(self):
        time.sleep(600)


if __name__ == "__main__":
    client = ClusterJobScheduler()
    client.connect()
    job = client.create_job()
    job.cancel_on_client_disconnection = True
    job.add_task(Forever())
    job.submit()
    print(job.id)
    sys.stdout.flush()
    # No disconnect(), no wait: the program just ends.
