import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import MonitorSession, Scheduler, taskmon_binary  # noqa: E402


@pytest.fixture(scope="session")
def binary():
    return taskmon_binary()


@pytest.fixture
def scheduler(binary):
    running = Scheduler(binary)
    yield running
    running.close()


@pytest.fixture
def open_monitor(binary, scheduler):
    sessions = []

    def opener(columns=100, rows=30, args=(), term="tmux-256color", env=None):
        if env is None:
            # Colours on, whatever the environment running the tests says.
            env = {key: value for key, value in scheduler.env.items() if key != "NO_COLOR"}
        session = MonitorSession(binary, env, columns, rows, args, term)
        sessions.append(session)
        return session

    yield opener
    for session in sessions:
        session.close()
