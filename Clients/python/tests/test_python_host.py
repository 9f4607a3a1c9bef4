"""The task host on its own: what it writes to the channel for each way a task ends, without a
scheduler (the other tests run it under a real one)."""

import base64
import json
import math
import os
import pickle
import subprocess
import sys

import pytest

from pyclient_support import PACKAGE_ROOT
from taskmon import TaskError, _payload
from taskmon._channel import encode_property


class Steps:
    def execute(self):
        for percent in range(0, 101):
            self.set_progress(percent, "at %d" % percent)
        self.set_property("n", 7)
        self.result = {"ok": True}


class ExitsCleanly:
    def execute(self):
        self.result = "before exit"
        raise SystemExit(0)


class ExitsWithStatus:
    def execute(self):
        raise SystemExit(3)


class NeedsTwoArguments(Exception):
    def __init__(self, a, b):
        super().__init__("%s/%s" % (a, b))


class RaisesWhatCannotBeLoaded:
    def execute(self):
        raise NeedsTwoArguments("x", "y")


def run_host(tmp_path, task, *extra_args, env_channel=True):
    payload = tmp_path / "task-0.pickle"
    _payload.write_payload(str(payload), task, [os.path.dirname(__file__)])
    channel = tmp_path / "channel"
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    if env_channel:
        env["TASKMON_CHANNEL"] = str(channel)
    else:
        env.pop("TASKMON_CHANNEL", None)
    done = subprocess.run([sys.executable, "-m", "taskmon.host"] + list(extra_args or [str(payload)]),
                          env=env, capture_output=True, text=True, timeout=60, cwd=str(tmp_path))
    records = [json.loads(line) for line in channel.read_text().splitlines()] if channel.exists() else []
    return done, records


def result_of(records):
    (record,) = [r["result"] for r in records if "result" in r]
    assert record["encoding"] == "pickle"
    return record, pickle.loads(base64.b64decode(record["data"]))


def test_records_of_a_completed_task(tmp_path):
    done, records = run_host(tmp_path, Steps())
    assert done.returncode == 0, done.stderr
    progress = [r["progress"] for r in records if "progress" in r]
    assert 1 <= len(progress) < 20, "progress updates were not coalesced"
    assert progress[-1] == {"percent": 100, "info": "at 100"}
    assert {"property": {"name": "n", "int": 7}} in records
    record, value = result_of(records)
    assert value == {"ok": True}
    assert record["display"] == "{'ok': True}" and record["type"] == "dict"


def test_system_exit_zero_completes_and_nonzero_fails(tmp_path):
    done, records = run_host(tmp_path, ExitsCleanly())
    assert done.returncode == 0
    assert result_of(records)[1] == "before exit"
    done, records = run_host(_fresh(tmp_path), ExitsWithStatus())
    assert done.returncode == 1
    assert [r["exception"]["type"] for r in records if "exception" in r] == ["SystemExit"]


def _fresh(tmp_path):
    folder = tmp_path / "again"
    folder.mkdir()
    return folder


def test_an_exception_that_does_not_load_again_becomes_a_task_error(tmp_path):
    done, records = run_host(tmp_path, RaisesWhatCannotBeLoaded())
    assert done.returncode == 1
    assert "NeedsTwoArguments: x/y" in done.stderr
    record, value = result_of(records)
    assert isinstance(value, TaskError)
    assert value.type_name == "test_python_host.NeedsTwoArguments" and value.message == "x/y"
    assert "Traceback" in value.trace
    (exception,) = [r["exception"] for r in records if "exception" in r]
    assert exception["type"] == "test_python_host.NeedsTwoArguments" and exception["message"] == "x/y"


def test_without_a_channel_the_host_explains_itself(tmp_path):
    done, _ = run_host(tmp_path, Steps(), env_channel=False)
    assert done.returncode == 2
    assert "$TASKMON_CHANNEL is not set" in done.stderr


def test_usage(tmp_path):
    done, _ = run_host(tmp_path, Steps(), "--bogus")
    assert done.returncode == 2
    assert done.stderr.startswith("usage: python -m taskmon.host")


def test_property_values():
    assert encode_property("s", "text") == {"name": "s", "string": "text"}
    assert encode_property("i", 2 ** 63 - 1) == {"name": "i", "int": 2 ** 63 - 1}
    assert encode_property("f", 0.5) == {"name": "f", "float": 0.5}
    assert encode_property("b", b"\xff") == {"name": "b", "bytes": "/w=="}
    assert encode_property("t", True) == {"name": "t", "int": 1}
    for value in ([1], None, {"a": 1}, object(), 1j):
        with pytest.raises(TypeError, match="values must be str, int, float or bytes"):
            encode_property("x", value)
    with pytest.raises(ValueError, match="does not fit in a 64-bit integer"):
        encode_property("x", 2 ** 63)
    with pytest.raises(ValueError, match="not a finite float"):
        encode_property("x", math.nan)
    with pytest.raises(ValueError, match="must not be empty"):
        encode_property("", 1)
    with pytest.raises(TypeError, match="a property name must be a str"):
        encode_property(1, 1)


def test_two_hosts_printing_at_once_to_one_file_never_mix_their_lines(tmp_path):
    # Hosts setting up at once share their job's setup output (one file, O_APPEND). Under
    # PYTHONUNBUFFERED print() wrote each of its pieces on its own, and two hosts' lines mixed
    # ("setting up insetting up in  2429824301").
    import re
    import subprocess

    out = tmp_path / "setup.stdout"
    script = ("import sys, taskmon.host as host; host._line_buffered_streams()\n"
              "for i in range(2000): print('line', i, 'of', sys.argv[1])\n")
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=PACKAGE_ROOT)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        writers = [subprocess.Popen([sys.executable, "-c", script, name], stdout=fd, env=env) for name in ("a", "b")]
        assert all(writer.wait(60) == 0 for writer in writers)
    finally:
        os.close(fd)
    lines = out.read_text().splitlines()
    assert len(lines) == 4000
    whole = re.compile(r"line \d+ of [ab]")
    mixed = [line for line in lines if not whole.fullmatch(line)]
    assert not mixed, mixed[:3]
