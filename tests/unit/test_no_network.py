"""The no-network fixture really blocks: a test relying on it would otherwise prove nothing."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from tests.no_network import NetworkAccessError


def test_a_remote_connection_is_refused(no_network: list[str]) -> None:
    with socket.socket() as sock, pytest.raises(NetworkAccessError):
        sock.connect(("93.184.216.34", 443))
    assert no_network == ["connect ('93.184.216.34', 443)"]


def test_a_name_lookup_is_refused(no_network: list[str]) -> None:
    with pytest.raises(NetworkAccessError):
        urllib.request.urlopen("https://huggingface.co/", timeout=1)
    assert no_network == ["lookup 'huggingface.co'"]


def test_loopback_stays_open(no_network: list[str]) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    with server, socket.create_connection(server.getsockname(), timeout=1):
        pass
    assert no_network == []
