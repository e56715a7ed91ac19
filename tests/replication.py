"""A MariaDB primary and its read replica, started by the tests themselves on 127.0.0.1:18881/18882.

One `mariadb-install-db` makes a data directory under /tmp, copied for the replica; the primary
writes a binary log (server-id 1, ROW), the replica (server-id 2, read-only) follows it by GTID.
Django's `default` and `replica` aliases point at them while `as_django_databases()` is entered,
so the code under test runs exactly as with DATABASE_URL and DATABASE_REPLICA_URL set, and
`wait_for_replica()` waits (MASTER_GTID_WAIT, no sleeping) until the replica has applied every
write the primary has. `stop()` shuts both servers down and removes their directories.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connections

# OMS_TEST_PORT_OFFSET: scripts/test.sh runs the SQLite and MariaDB halves at once, each on its own ports.
PORT_OFFSET = int(os.environ.get("OMS_TEST_PORT_OFFSET", "0"))
PRIMARY_PORT, REPLICA_PORT = 18881 + PORT_OFFSET, 18882 + PORT_OFFSET
DATABASE = "oms_replica"
# The app's account: all rights on its database and REPLICA MONITOR, to read the replica's lag.
APP_USER, APP_PASSWORD = "oms_app", "oms-app-pw"
# An account like the app's but without REPLICA MONITOR: the lag cannot be read.
BLIND_USER = "oms_blind"
# An account that may read the lag but not the data (the GRANT SELECT forgotten): reads fail.
MONITOR_ONLY_USER = "oms_monitor_only"
REPLICATION_USER, REPLICATION_PASSWORD = "repl", "repl-pw"
START_TIMEOUT = 20  # seconds for a server to accept connections
SERVER_OPTIONS = [
    "--no-defaults",
    "--bind-address=127.0.0.1",
    "--skip-name-resolve",
    "--performance-schema=OFF",
    "--innodb-buffer-pool-size=64M",
    "--innodb-log-file-size=8M",
    # Test servers: no fsync (migrate's DDL is twice as fast); a crash loses nothing we keep.
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-doublewrite=0",
    "--innodb-flush-method=nosync",
    "--sync-binlog=0",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_unicode_ci",
]


def mariadbd():
    """The mariadbd binary, or None when MariaDB's server is not installed here."""
    found = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/local/sbin")
    return found if found and shutil.which("mariadb-install-db") else None


def port_in_use(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Server:
    """One mariadbd on 127.0.0.1:`port` with its data under `home`; root over its own socket."""

    def __init__(self, name, port, server_id, home, options=()):
        self.name, self.port, self.server_id, self.home = name, port, server_id, Path(home)
        self.options = list(options)
        self.process = None

    @property
    def socket(self):
        return str(self.home / "mysqld.sock")

    def start(self):
        if port_in_use(self.port):
            raise RuntimeError(f"port {self.port} is taken: is a {self.name} of an earlier run still up?")
        command = [
            mariadbd(),
            *SERVER_OPTIONS,
            f"--datadir={self.home / 'data'}",
            f"--port={self.port}",
            f"--socket={self.socket}",
            f"--pid-file={self.home / 'mysqld.pid'}",
            f"--log-error={self.home / 'error.log'}",
            f"--server-id={self.server_id}",
            *self.options,
        ]
        if os.geteuid() == 0:
            command.append("--user=root")
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603

    def wait_until_up(self):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self.connect().close()
                return
            except Exception:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.home / "error.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{self.name} on port {self.port} did not start:\n{log}") from None
                time.sleep(0.05)  # a server starting up, not a test waiting for a result

    def connect(self):
        import MySQLdb

        return MySQLdb.connect(unix_socket=self.socket, user="root", charset="utf8mb4", autocommit=True)

    def sql(self, *statements):
        """Run `statements` as root; the rows of the last one as dicts."""
        conn = self.connect()
        try:
            cursor = conn.cursor()
            for statement in statements:
                cursor.execute(statement)
            if cursor.description is None:
                return []
            columns = [column[0] for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            conn.close()

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.sql("SHUTDOWN")
            self.process.wait(timeout=15)
        except Exception:
            self.process.kill()
            self.process.wait(timeout=15)


class ReplicatedPair:
    """A primary and a replica that follows it; see the module's docstring."""

    def __init__(self, base):
        self.base = Path(base)
        primary_options = ["--log-bin=mysql-bin", "--binlog-format=ROW"]
        self.primary = Server("primary", PRIMARY_PORT, 1, self.base / "primary", primary_options)
        # Read-only: a write that reached the replica by mistake fails loudly instead of diverging.
        self.replica = Server("replica", REPLICA_PORT, 2, self.base / "replica", ["--read-only", "--skip-slave-start"])

    def start(self):
        data = self.primary.home / "data"
        self.primary.home.mkdir(parents=True)
        subprocess.run(  # noqa: S603
            [
                shutil.which("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--innodb-log-file-size=8M",
                *(["--user=root"] if os.geteuid() == 0 else []),
            ],
            check=True,
            capture_output=True,
        )
        # Same system tables on both, so the replica can follow the primary's log from its start.
        shutil.copytree(data, self.replica.home / "data", symlinks=True)
        for server in (self.primary, self.replica):
            server.start()
        for server in (self.primary, self.replica):
            server.wait_until_up()
        self.primary.sql(
            f"CREATE USER '{REPLICATION_USER}'@'127.0.0.1' IDENTIFIED BY '{REPLICATION_PASSWORD}'",
            f"GRANT REPLICATION SLAVE ON *.* TO '{REPLICATION_USER}'@'127.0.0.1'",
            f"CREATE DATABASE `{DATABASE}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            f"CREATE USER '{APP_USER}'@'127.0.0.1' IDENTIFIED BY '{APP_PASSWORD}'",
            f"GRANT ALL PRIVILEGES ON `{DATABASE}`.* TO '{APP_USER}'@'127.0.0.1'",
            f"GRANT REPLICA MONITOR ON *.* TO '{APP_USER}'@'127.0.0.1'",
            f"CREATE USER '{BLIND_USER}'@'127.0.0.1' IDENTIFIED BY '{APP_PASSWORD}'",
            f"GRANT ALL PRIVILEGES ON `{DATABASE}`.* TO '{BLIND_USER}'@'127.0.0.1'",
            f"CREATE USER '{MONITOR_ONLY_USER}'@'127.0.0.1' IDENTIFIED BY '{APP_PASSWORD}'",
            f"GRANT REPLICA MONITOR ON *.* TO '{MONITOR_ONLY_USER}'@'127.0.0.1'",
        )
        self.replica.sql(
            f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={PRIMARY_PORT}, "
            f"MASTER_USER='{REPLICATION_USER}', MASTER_PASSWORD='{REPLICATION_PASSWORD}', "
            "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
            "START SLAVE",
        )
        self.wait_for_replica()

    def stop(self):
        for server in (self.replica, self.primary):
            server.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    # --- replication -----------------------------------------------------------------------

    def wait_for_replica(self, timeout=20):
        """Block until the replica has applied everything the primary has committed so far."""
        position = self.primary.sql("SELECT @@gtid_binlog_pos AS pos")[0]["pos"]
        waited = self.replica.sql(f"SELECT MASTER_GTID_WAIT('{position}', {timeout}) AS waited")[0]["waited"]
        if waited != 0:
            status = self.replica.sql("SHOW SLAVE STATUS")
            raise RuntimeError(f"replica did not reach {position} in {timeout} s: {status}")

    def stop_replication(self):
        self.replica.sql("STOP SLAVE")

    def start_replication(self):
        self.replica.sql("START SLAVE")
        self.wait_for_replica()

    # --- Django ------------------------------------------------------------------------------

    def url(self, server, user=APP_USER, port=None):
        return f"mysql://{user}:{APP_PASSWORD}@127.0.0.1:{port or server.port}/{DATABASE}"

    def databases(self, *, replica_user=APP_USER, replica_port=None):
        """DATABASES as oms/settings.py makes them from DATABASE_URL and DATABASE_REPLICA_URL for this pair."""
        from oms.settings import database_from_url, replica_database_from_env  # not at import: bench/ sets env first

        replica_url = self.url(self.replica, user=replica_user, port=replica_port)
        return {
            "default": database_from_url(self.url(self.primary)),
            "replica": replica_database_from_env({"DATABASE_REPLICA_URL": replica_url}),
        }

    @contextmanager
    def as_django_databases(self, **kwargs):
        """Within: Django's `default` is this primary and `replica` this replica (see databases())."""
        with django_databases(self.databases(**kwargs)):
            yield


@contextmanager
def django_databases(databases):
    """Point Django's connections at `databases` (a DATABASES dict) while inside; then back as they were."""
    saved_settings = connections.settings
    saved = {alias: connections[alias] for alias in saved_settings if hasattr(connections._connections, alias)}
    for alias in saved:
        del connections[alias]
    connections.settings = connections.configure_settings(databases)
    try:
        yield
    finally:
        for connection in connections.all(initialized_only=True):
            connection.close()
        for alias in connections.settings:
            if hasattr(connections._connections, alias):
                del connections[alias]
        connections.settings = saved_settings
        for alias, connection in saved.items():
            connections[alias] = connection


@contextmanager
def replicated_pair():
    """A started ReplicatedPair in a fresh directory under /tmp; stopped and removed at the end."""
    pair = ReplicatedPair(tempfile.mkdtemp(prefix="oms-replica-", dir="/tmp"))
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()
