"""Task classes for the in-process tests, in an importable module: they travel by reference
(the host imports this module through the client's sys.path), unlike the examples' classes,
which are defined in scripts (``__main__``) and travel by value."""

import os
import sys
import threading
import time


class Point:
    """A user-defined result class."""

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    def __repr__(self):
        return "Point(%r, %r)" % (self.x, self.y)


class ReturnsPoint:
    def execute(self):
        self.result = Point(3, 4)


class Echo:
    def __init__(self, value, name=None):
        self.value = value
        if name:
            self.name = name

    def execute(self):
        print("echo", self.value)
        self.result = self.value


class AllPropertiesThenFails:
    def execute(self):
        self.set_property("text", "one hundred")
        self.set_property("count", 100)
        self.set_property("ratio", 0.25)
        self.set_property("blob", b"\x00\x01\xfe\xff")
        self.set_property("flag", True)
        self.set_property("buffer", bytearray(b"ab"))
        assert self.get_property("count") == 100
        self.result = "not coming back"
        raise ValueError("after the properties")


class BadProperty:
    def execute(self):
        self.set_property("ok", 1)
        self.set_property("list", [1, 2])


class Unpicklable(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.lock = threading.Lock()


class RaisesUnpicklable:
    def execute(self):
        raise Unpicklable("holds a lock")


class UnpicklableResult:
    def execute(self):
        self.result = threading.Lock()


class Sleeps:
    def __init__(self, seconds, marker=None):
        self.seconds = seconds
        self.marker = marker

    def execute(self):
        if self.marker:
            open(self.marker, "w").close()
        print("sleeping", flush=True)
        time.sleep(self.seconds)
        self.result = "woke up"


class Fails:
    def execute(self):
        raise RuntimeError("boom")


class Progress:
    def execute(self):
        for step in range(5):
            self.set_progress(step * 25, "step %d" % step)
            time.sleep(0.15)
        self.result = "done"


class Chatty:
    def __init__(self, megabytes):
        self.megabytes = megabytes

    def execute(self):
        line = "x" * 1023 + "\n"
        for _ in range(self.megabytes * 1024):
            sys.stdout.write(line)
        sys.stderr.write("to stderr\n")
        self.result = self.megabytes


class WritesMarker:
    def __init__(self, path):
        self.path = path

    def execute(self):
        with open(self.path, "a") as f:
            f.write("ran\n")


class ReadsFile:
    def __init__(self, path):
        self.path = path

    def execute(self):
        with open(self.path) as f:
            self.result = f.read()


class Environment:
    """Setup writes a file the tasks read; teardown writes another."""

    def __init__(self, folder):
        self.folder = folder

    def setup(self):
        print("setting up")
        # Each host sets up (two slots, two hosts): the second host's setup must not truncate
        # the file while the first host's task reads it, so the file appears whole, by rename.
        path = os.path.join(self.folder, "prepared")
        staged = "%s.%d" % (path, os.getpid())
        with open(staged, "w") as f:
            f.write("prepared by setup")
        os.replace(staged, path)

    def teardown(self):
        with open(os.path.join(self.folder, "torn-down"), "w") as f:
            f.write("bye")


class NoGpu(Exception):
    pass


class FailingEnvironment:
    def setup(self):
        print("looking for a GPU")
        raise NoGpu("no GPU on this host")


class CountsAlive:
    """Counts the tasks alive in ``folder`` at its start (itself included), then lingers."""

    def __init__(self, folder, linger=0.3):
        self.folder = folder
        self.linger = linger

    def execute(self):
        import os
        import time
        mark = os.path.join(self.folder, "%d-%f" % (os.getpid(), time.monotonic()))
        open(mark, "w").close()
        self.result = len(os.listdir(self.folder))
        time.sleep(self.linger)
        os.unlink(mark)


class WaitsForGo:
    """Runs until the file ``go`` exists (the test creates it), at most ``deadline`` seconds,
    then raises; so that a test can hold tasks RUNNING while it looks at the scheduler."""

    def __init__(self, go, deadline=120.0):
        self.go = go
        self.deadline = deadline

    def execute(self):
        give_up = time.monotonic() + self.deadline
        while not os.path.exists(self.go):
            if time.monotonic() > give_up:
                raise TimeoutError("no go (%s) within %g s" % (self.go, self.deadline))
            time.sleep(0.01)
        self.result = "went"


class ReadsEnvironment:
    """Returns the task's environment (the host's os.environ while it runs)."""

    def execute(self):
        self.result = dict(os.environ)


class FailsOnFirstAttempt:
    """Its first attempt prints (``megabytes`` of it, if asked), sets a property and raises; a
    later one returns which attempt it was. Each attempt's output and property name its number."""

    def __init__(self, megabytes=0):
        self.megabytes = megabytes

    def execute(self):
        attempt = int(os.environ["TASKMON_ATTEMPT"])
        print("attempt", attempt)
        sys.stderr.write("stderr of attempt %d\n" % attempt)
        self.set_property("attempt", attempt)
        if attempt == 1:
            line = "1" * 1023 + "\n"
            for _ in range(self.megabytes * 1024):
                sys.stdout.write(line)
            raise ValueError("attempt 1 fails")
        self.result = "attempt %d" % attempt
