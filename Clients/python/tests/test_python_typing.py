"""The package is typed (py.typed) and mypy --strict finds nothing in it."""

import os
import subprocess
import sys

import pytest

from pyclient_support import CLIENT


def test_mypy_strict_is_clean_on_the_package():
    pytest.importorskip("mypy")
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(CLIENT / "src" / "taskmon")],
                          cwd=str(CLIENT), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_package_says_it_is_typed_and_has_one_version():
    import taskmon
    folder = os.path.dirname(taskmon.__file__)
    assert os.path.exists(os.path.join(folder, "py.typed"))
    from taskmon import agiparallel
    from taskmon._version import __version__
    assert taskmon.__version__ == agiparallel.__version__ == __version__
    assert 'dynamic = ["version"]' in (CLIENT / "pyproject.toml").read_text()
