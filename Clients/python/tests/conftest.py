"""Fixtures: a real taskmon scheduler on a fresh temp state dir for each test.

The taskmon binary comes from $TASKMON_BIN, else `swift build --show-bin-path` of the repo
(computed once a session; nothing is built here). The client under test is always this tree's
Clients/python/src, even where an older `taskmon` is installed; the task hosts the scheduler
starts import that same package (the client passes its folder on PYTHONPATH when it is not in
the interpreter's site-packages).
"""

import os

import pytest

from pyclient_support import RunningScheduler, find_binary


@pytest.fixture(scope="session")
def taskmon_bin():
    path = find_binary()
    if not path or not os.access(path, os.X_OK):
        pytest.exit("no taskmon binary (%s): set TASKMON_BIN or build it with `swift build --product taskmon`"
                    % (path or "swift build --show-bin-path failed"), returncode=2)
    return path


@pytest.fixture
def scheduler(taskmon_bin):
    running = RunningScheduler(taskmon_bin)
    yield running
    running.stop()


@pytest.fixture
def client(scheduler):
    with scheduler.client() as connected:
        connected.connect()
        yield connected


def pytest_report_header(config):
    import taskmon
    return "taskmon client under test: %s" % os.path.dirname(taskmon.__file__)
