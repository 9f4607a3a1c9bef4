"""Benchmark of Python tasks in warm hosts, beside ProcessPoolExecutor(2) and multiprocessing.Pool(2).

    swift build -c release --product taskmon
    TASKMON_BIN=$(swift build -c release --show-bin-path)/taskmon python3 Clients/python/bench/python_hosts.py

It starts `taskmon serve --slots 2` on a fresh state dir (under ./.bench-state) and prints:
1. 500 trivial tasks (`self.result = 1`): submit → all results read, taskmon (native client and
   taskmon.agiparallel), then the same work through ProcessPoolExecutor(2) and multiprocessing.Pool(2)
   (pool start included, as taskmon's first job includes its hosts' start);
2. submit → first result of a one-task job with warm hosts (an environment with a unique_id);
3. a setup() that sleeps 2 s, two jobs with one unique_id: each job's submit → done;
4. a task's own cost in the host (the host's per-task code run in this process: unpickle, run,
   pickle the result, write the channel, redirect fds 1 and 2), median and p99, and its parts.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, List

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

from taskmon._protocol import Connection  # noqa: E402
from taskmon.client import JobScheduler  # noqa: E402
from taskmon.errors import SchedulerNotRunningError  # noqa: E402

TASKS = 500


class Trivial:
    def execute(self) -> None:
        self.result = 1


def run_task(task: Trivial) -> Any:
    task.execute()
    return task.result


class Warm:
    """An environment shared between jobs (a unique_id): hosts stay warm."""

    def __init__(self, unique_id: str, sleep: float = 0.0) -> None:
        self.unique_id = unique_id
        self.sleep = sleep

    def setup(self) -> None:
        time.sleep(self.sleep)

    def teardown(self) -> None:
        pass


def serve(binary: str, root: str) -> subprocess.Popen:
    state = os.path.join(root, "state")
    process = subprocess.Popen([binary, "serve", "--state-dir", state, "--slots", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            Connection(os.path.join(state, "scheduler.sock"), timeout=5).close()
            return process
        except SchedulerNotRunningError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("taskmon serve did not start")
            time.sleep(0.02)


def stats(values: List[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return "median %.2f ms, p99 %.2f ms, min %.2f ms (%d runs)" % (
        statistics.median(values) * 1e3, p99 * 1e3, values[0] * 1e3, len(values))


def timed(run: Callable[[], Any]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def native_job(client: JobScheduler, environment: Any = None) -> List[Any]:
    job = client.create_job(name="bench", task_environment=environment)
    for _ in range(TASKS):
        job.add_task(Trivial())
    job.submit()
    job.wait_until_done(120)
    results = [task.result for task in job.tasks]
    assert results == [1] * TASKS, results[:5]
    return results


def agiparallel_job(state_dir: str) -> None:
    from taskmon.agiparallel.client import ClusterJobScheduler
    with ClusterJobScheduler(state_dir=state_dir) as client:
        client.connect()
        job = client.create_job()
        tasks = [Trivial() for _ in range(TASKS)]
        for task in tasks:
            job.add_task(task)
        job.submit()
        job.wait_until_done()
        assert [task.result for task in tasks] == [1] * TASKS


def pool_executor() -> None:
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        assert list(pool.map(run_task, [Trivial() for _ in range(TASKS)])) == [1] * TASKS


def multiprocessing_pool() -> None:
    with multiprocessing.Pool(2) as pool:
        assert pool.map(run_task, [Trivial() for _ in range(TASKS)]) == [1] * TASKS


def host_cost(samples: int = 2000) -> None:
    """The host's own per-task work, run here on the same code (no scheduler, no socket)."""
    from taskmon import _payload
    from taskmon._channel import Channel
    from taskmon._hostserver import _Spool
    from taskmon.host import _run_task
    folder = tempfile.mkdtemp(prefix="taskmon-hostcost-")
    bundle = os.path.join(folder, "tasks.pickle")
    _payload.write_bundle(bundle, [Trivial() for _ in range(samples)])
    whole, unpickle, pickle_result, channel_write = [], [], [], []
    saved = dict(os.environ)
    spool = _Spool()
    try:
        for index in range(samples):
            channel = os.path.join(folder, "%d.channel" % index)
            os.environ.update({"TASKMON_CHANNEL": channel, "TASKMON_TASK_ID": str(index), "TASKMON_ATTEMPT": "1"})
            start = time.perf_counter()
            with spool.redirected(os.path.join(folder, "%d.stdout" % index), os.path.join(folder, "%d.stderr" % index)):
                status = _run_task("%s#%d" % (bundle, index))
            whole.append(time.perf_counter() - start)
            assert status == 0
            t0 = time.perf_counter()
            task = _payload.read_payload("%s#%d" % (bundle, index))
            t1 = time.perf_counter()
            data = _payload.dump_value(1)
            t2 = time.perf_counter()
            Channel(channel + ".x").result("1", "int", *_payload.encode_value(data, ""))
            t3 = time.perf_counter()
            unpickle.append(t1 - t0)
            pickle_result.append(t2 - t1)
            channel_write.append(t3 - t2)
            del task
    finally:
        spool.close()
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(folder, ignore_errors=True)
    print("4. a task's own cost in the host:          %s" % stats(whole))
    print("   of which: unpickle %.3f ms, pickle + check the result %.3f ms, channel record %.3f ms (medians);"
          % (statistics.median(unpickle) * 1e3, statistics.median(pickle_result) * 1e3, statistics.median(channel_write) * 1e3))
    print("   the rest: fds 1/2 onto the task's spool names (link/dup2/unlink of the host's scratch files) and the task context")


def main() -> None:
    binary = os.environ.get("TASKMON_BIN") or shutil.which("taskmon")
    if not binary:
        raise SystemExit("set TASKMON_BIN to a release build of taskmon")
    base = os.path.join(os.getcwd(), ".bench-state")
    os.makedirs(base, exist_ok=True)
    root = tempfile.mkdtemp(dir=base)
    process = serve(binary, root)
    state_dir = os.path.join(root, "state")
    try:
        with JobScheduler(state_dir=state_dir, start_scheduler=False) as client:
            client.connect()
            print("1. %d trivial Python tasks on 2 slots, submit → all results read:" % TASKS)
            cold = [timed(lambda: native_job(client))]
            print("   taskmon, hosts started for the job:     %.3f s" % cold[0])
            warm_env = Warm("bench-warm")
            native_job(client, warm_env)
            warm = [timed(lambda: native_job(client, warm_env)) for _ in range(3)]
            print("   taskmon, warm hosts (unique_id):        %.3f s (best of 3; %s)" % (min(warm), ", ".join("%.3f" % w for w in warm)))
            print("   taskmon.agiparallel (results on objects): %.3f s" % timed(lambda: agiparallel_job(state_dir)))
            print("   ProcessPoolExecutor(2), pool start incl.: %.3f s" % min(timed(pool_executor) for _ in range(3)))
            print("   multiprocessing.Pool(2), pool start incl.: %.3f s" % min(timed(multiprocessing_pool) for _ in range(3)))

            env = Warm("bench-first-result")
            first: List[float] = []
            for run in range(21):
                job = client.create_job(name="one", task_environment=env)
                job.add_task(Trivial())
                start = time.perf_counter()
                job.submit()
                job.wait_until_done(60)
                assert job.tasks[0].result == 1
                if run:
                    first.append(time.perf_counter() - start)
            print("2. submit → first result, one-task job, warm hosts: %s" % stats(first))

            slow = Warm("bench-slow-setup", sleep=2.0)
            times = []
            for _ in range(2):
                job = client.create_job(name="setup", task_environment=slow)
                job.add_task(Trivial())
                start = time.perf_counter()
                job.submit()
                job.wait_until_done(60)
                times.append(time.perf_counter() - start)
            print("3. setup() sleeps 2 s, one unique_id: first job %.3f s, second job %.3f s (submit → done)" % tuple(times))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        shutil.rmtree(root, ignore_errors=True)
    host_cost()


if __name__ == "__main__":
    main()
