"""Disk space of the drive an agent runs on."""

from __future__ import annotations

import shutil

__all__ = ["HardDiskStatus"]


class HardDiskStatus:
    """``total_space`` and ``free_space`` in megabytes, of the folder given (the state dir)."""

    def __init__(self, path: str = "/") -> None:
        try:
            usage = shutil.disk_usage(path)
            self.total_space = usage.total // (1 << 20)
            self.free_space = usage.free // (1 << 20)
        except OSError:
            self.total_space = self.free_space = 0
        self.drive = path
