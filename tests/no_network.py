"""A fixture that makes any network access fail the test: models load from disk or not at all.

Only connections to this machine (loopback, Unix sockets) stay allowed, for the test servers.
Libraries that phone home (model hubs, update checks) then raise instead of waiting for a
timeout, and the test sees the attempt.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest


class NetworkAccessError(AssertionError):
    """Raised when code under test tries to reach another machine."""


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths
    host = str(address[0])
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: resolving it would already be network access


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Block every non-loopback connection and name lookup; yields the attempts made."""
    attempts: list[str] = []
    connect = socket.socket.connect
    connect_ex = socket.socket.connect_ex
    getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not _is_local(address):
            attempts.append(f"connect {address!r}")
            raise NetworkAccessError(f"network access attempted: {address!r}")
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_local(address):
            attempts.append(f"connect {address!r}")
            raise NetworkAccessError(f"network access attempted: {address!r}")
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_local((host, 0)):
            attempts.append(f"lookup {host!r}")
            raise NetworkAccessError(f"name lookup attempted: {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    return attempts
