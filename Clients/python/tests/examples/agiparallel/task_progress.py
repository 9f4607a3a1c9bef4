# "Monitoring Jobs" / progress, imports adapted: the handler gets (task_id, task_progress_info);
# the progress is the task's own int, not a percentage ("can range from 20 to 2500").
from taskmon.agiparallel.client import ClusterJobScheduler


class ProgressTask:
    def execute(self):
        import time
        for step in (20, 1250, 2500):
            self.set_progress(step, step // 10)
            time.sleep(0.25)
        self.result = "done"


seen = []


def on_progress(task_id, task_progress_info):
    seen.append((task_id, task_progress_info.progress, task_progress_info.additional_information))


if __name__ == "__main__":
    with ClusterJobScheduler("localhost") as client:
        client.connect()
        job = client.create_job()
        task = ProgressTask()
        job.add_task(task)
        job.task_progress_updated = on_progress
        job.submit()
        job.wait_until_done()
        print(task.result)
        print(all(task_id == task.unique_id for task_id, _, _ in seen))
        print([progress for _, progress, _ in seen])
        print(sorted({type(info).__name__ for _, _, info in seen}))
