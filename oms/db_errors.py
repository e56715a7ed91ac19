"""A database connection lost in the middle of a request (a restart, a killed connection) becomes a
Chinese 503 page instead of a 500, and the broken connection is closed so the next request reconnects.

Project plumbing like wsgi.py: it knows no app and no model. Every write runs inside a transaction
(orders.services), so a connection that died before COMMIT saved nothing: the server rolled it back.
"""

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin

# MySQL/MariaDB client and server codes that mean the connection is gone, not that the query was wrong.
CONNECTION_LOST_CODES = frozenset(
    {
        2006,  # CR_SERVER_GONE_ERROR: MySQL server has gone away (a restart, wait_timeout)
        2013,  # CR_SERVER_LOST: Lost connection to MySQL server during query
        1927,  # ER_CONNECTION_KILLED (MariaDB): Connection was killed
        4031,  # ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8): disconnected by the server
        1053,  # ER_SERVER_SHUTDOWN: Server shutdown in progress
    }
)

MESSAGE = "数据库连接中断，本次操作没有保存，请重试。"


def is_connection_lost(exc):
    """True if `exc` (as Django raises it) says the database connection is gone."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    return bool(exc.args) and exc.args[0] in CONNECTION_LOST_CODES  # Django keeps the driver's (code, text)


class DatabaseConnectionLostMiddleware(MiddlewareMixin):
    """Answer a lost database connection with 503 and 数据库连接中断…请重试, and drop the dead connection."""

    def process_exception(self, request, exception):
        if not is_connection_lost(exception):
            return None
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None and not connection.is_usable():
                connection.close()
        # No request context: the session, the user and the messages would all need the database.
        content = render_to_string("503_database.html", {"message": MESSAGE})
        return HttpResponse(content, status=503, headers={"Retry-After": "5"})
