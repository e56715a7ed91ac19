"""Which database a query goes to: the primary, always, unless the code names the read replica itself.

DATABASE_REPLICA_URL adds a MariaDB/MySQL read replica as DATABASES["replica"] (oms/settings.py).
This router sends nothing there: the managers' reports, exports and dashboard read it explicitly
with `.using(...)` (orders.reports.replica), everything else reads the primary, and every write goes
to the primary, also the save of an object that was read on the replica (without a router Django
would write it back where it came from). Project plumbing like db_errors.py: it knows no app.
"""

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, ProgrammingError, connections

REPLICA = "replica"
SAME_DATA = frozenset({DEFAULT_DB_ALIAS, REPLICA})

# Server codes for "this account may not read the replication status" (no REPLICA MONITOR / SUPER).
ACCESS_DENIED_CODES = frozenset({1044, 1142, 1227})


class PrimaryRouter:
    """Reads and writes on the primary; the replica only where a queryset says `.using(REPLICA)`."""

    def db_for_read(self, model, **hints):
        # Also for related objects of an instance read on the replica: the primary is never stale.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an order read there may point at an item read here.
        if {obj1._state.db, obj2._state.db} <= SAME_DATA:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica receives its schema through the primary's binary log, never from migrate.
        return db == DEFAULT_DB_ALIAS


@dataclass(frozen=True)
class ReplicationStatus:
    """What a replica says of itself (SHOW REPLICA STATUS)."""

    # Seconds_Behind_Master; None while a replication thread is stopped.
    lag_seconds: int | None
    io_running: bool
    sql_running: bool
    last_error: str = ""

    @property
    def running(self):
        return self.io_running and self.sql_running and self.lag_seconds is not None


def replication_status(alias=REPLICA):
    """The replication status of database `alias`, or None if that server replicates nothing.

    Needs the REPLICA MONITOR privilege (MariaDB 10.5.9+; SUPER or REPLICATION CLIENT before);
    without it, and when the server is unreachable, this raises django.db.DatabaseError.
    """
    with connections[alias].cursor() as cursor:
        try:
            cursor.execute("SHOW REPLICA STATUS")
        except ProgrammingError:  # MariaDB before 10.5, MySQL before 8.0.22
            cursor.execute("SHOW SLAVE STATUS")
        row = cursor.fetchone()
        if row is None:
            return None
        status = dict(zip([column[0] for column in cursor.description], row, strict=True))
    lag = status.get("Seconds_Behind_Master", status.get("Seconds_Behind_Source"))
    return ReplicationStatus(
        lag_seconds=None if lag is None else int(lag),
        io_running=_yes(status.get("Slave_IO_Running", status.get("Replica_IO_Running"))),
        sql_running=_yes(status.get("Slave_SQL_Running", status.get("Replica_SQL_Running"))),
        last_error=status.get("Last_Error") or status.get("Last_IO_Error") or "",
    )


def is_access_denied(exc):
    """True if `exc` (as Django raises it) says the account lacks a privilege."""
    return bool(exc.args) and exc.args[0] in ACCESS_DENIED_CODES


def _yes(value):
    return str(value).lower() == "yes"
