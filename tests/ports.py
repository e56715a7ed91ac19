"""For the servers a test starts (gunicorn): a free port of the suite's own range (shared machines
run several suites at once), and the URL of the test database for the server's environment."""

import socket

import pytest
from django.db import connection


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


def served_database_url():
    """DATABASE_URL of the MySQL/MariaDB test database this test runs on, for a server it starts."""
    conf = connection.settings_dict
    host, port = conf["HOST"] or "127.0.0.1", conf["PORT"] or 3306
    return f"mysql://{conf['USER']}:{conf['PASSWORD']}@{host}:{port}/{conf['NAME']}"
