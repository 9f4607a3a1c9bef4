"""Network information of an agent."""

from __future__ import annotations

import socket

__all__ = ["NetworkStatus"]


class NetworkStatus:
    """The machine's name and address. taskmon's scheduler is reached over a local Unix socket,
    so no bandwidth figures are kept."""

    def __init__(self) -> None:
        self.host_name = socket.gethostname()
        try:
            self.ip_address = socket.gethostbyname(self.host_name)
        except OSError:
            self.ip_address = "127.0.0.1"
