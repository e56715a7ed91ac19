"""Ports for the servers a test starts (gunicorn): each suite has its own range, shared machines run several."""

import socket

import pytest


def free_port(ports):
    """The first port of `ports` nobody listens on at 127.0.0.1; fails the test when all are taken."""
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {ports.start}-{ports.stop - 1}")
