"""Where the managers' figures are read: the read replica when one is configured and close enough, else the primary.

The 发货日报 (page and CSV), the order export, the dashboard and the shipping_report command ask
report_source() and read with `.using(source.alias)`; nothing else reads the replica (oms.db_router).
A replica that is unreachable, stopped, too far behind or whose status this account may not read
is not used: the page reads the primary and says why (`source.notice`), never an error page.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from oms.db_router import REPLICA, is_access_denied, replication_status

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportSource:
    """The database alias to read a report from, and what the page says about it ("" = nothing)."""

    alias: str
    notice: str = ""
    # True when a replica is configured but the primary is read instead.
    fell_back: bool = False

    @property
    def from_replica(self):
        return self.alias == REPLICA


PRIMARY = ReportSource(DEFAULT_DB_ALIAS)

UNREACHABLE = "只读副本连接不上，本页改读主库。"
NO_PRIVILEGE = "无法读取只读副本的复制状态（数据库账号缺少 REPLICA MONITOR 权限），本页改读主库。"
NOT_REPLICATING = "只读副本没有在复制主库，本页改读主库。"
STOPPED = "副本复制已停止，本页改读主库。"
READ_FAILED = "读取只读副本时出错，本页改读主库。"


def fallback(notice):
    return ReportSource(DEFAULT_DB_ALIAS, notice, fell_back=True)


def replica_configured():
    return REPLICA in connections


def report_source():
    """The ReportSource for a report read now: the replica if configured, replicating and within the lag bound."""
    if not replica_configured():
        return PRIMARY
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        # A transaction that writes reads its own writes, which the replica has not seen yet.
        return PRIMARY
    try:
        status = replication_status(REPLICA)
    except DatabaseError as exc:
        logger.warning("read replica not used: %s", exc)
        connections[REPLICA].close()
        return fallback(NO_PRIVILEGE if is_access_denied(exc) else UNREACHABLE)
    return source_for(status, settings.OMS_REPLICA_MAX_LAG_SECONDS)


def source_for(status, max_lag):
    """The ReportSource for a replica in `status` (a ReplicationStatus or None) and a lag bound (seconds)."""
    if status is None:
        return fallback(NOT_REPLICATING)
    if not status.running:
        return fallback(STOPPED)
    if status.lag_seconds > max_lag:
        return fallback(f"只读副本延迟约 {status.lag_seconds} 秒，超过 {max_lag} 秒的上限，本页改读主库。")
    return ReportSource(REPLICA, f"报表数据来自只读副本，延迟约 {status.lag_seconds} 秒。")


def read_with_fallback(source, read):
    """read(alias) on `source`; if the replica fails half-way, once more on the primary.

    Returns (result, source): the source says where the result came from.
    """
    if not source.from_replica:
        return read(source.alias), source
    try:
        return read(source.alias), source
    except DatabaseError as exc:
        logger.warning("read replica failed during a report: %s", exc)
        connections[REPLICA].close()
        source = fallback(READ_FAILED)
        return read(source.alias), source
