"""The read replica's configuration, the router and the choice of where a report reads (no servers needed).

The replica itself is exercised in tests/orders/test_report_replica.py.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.test.utils import CaptureQueriesContext

from oms.db_router import REPLICA, PrimaryRouter, ReplicationStatus
from oms.settings import replica_database_from_env
from orders.models import Order
from orders.reports import replica
from tests.orders.report_data import shipped_order


def test_no_replica_url_no_replica_database():
    assert replica_database_from_env({}) is None
    assert replica_database_from_env({"DATABASE_REPLICA_URL": "  "}) is None


def test_replica_url_is_parsed_like_database_url():
    config = replica_database_from_env({"DATABASE_REPLICA_URL": "mysql://oms:secret@10.0.0.7:3307/oms"})
    assert (config["ENGINE"], config["HOST"], config["PORT"], config["NAME"]) == (
        "django.db.backends.mysql",
        "10.0.0.7",
        3307,
        "oms",
    )
    assert (config["USER"], config["PASSWORD"]) == ("oms", "secret")
    # The same session options as the primary, a short connect timeout, and no test database of its own.
    assert config["OPTIONS"]["charset"] == "utf8mb4" and config["OPTIONS"]["isolation_level"] == "read committed"
    assert config["OPTIONS"]["connect_timeout"] == 3
    assert config["TEST"]["MIRROR"] == "default"


def test_a_replica_must_be_mysql():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_REPLICA_URL"):
        replica_database_from_env({"DATABASE_REPLICA_URL": "sqlite:////tmp/copy.sqlite3"})


def test_unconfigured_there_is_no_replica_and_reports_read_the_primary():
    assert list(connections) == ["default"]
    assert replica.report_source() == replica.PRIMARY
    assert replica.report_source().notice == ""


def test_the_router_sends_reads_and_writes_to_the_primary_even_for_an_object_read_on_the_replica():
    order = Order(pk=1)
    order._state.db = REPLICA
    assert router.db_for_read(Order) == "default"
    assert router.db_for_write(Order, instance=order) == "default"
    assert router.db_for_read(Order, instance=order) == "default"
    assert PrimaryRouter().allow_migrate(REPLICA, "orders") is False
    assert PrimaryRouter().allow_migrate("default", "orders") is True


@pytest.mark.django_db
def test_unconfigured_the_report_page_reads_the_primary_and_says_nothing_about_a_replica(clerk_client):
    from django.utils import timezone

    order = shipped_order(timezone.now())
    with CaptureQueriesContext(connections["default"]) as queries:
        content = clerk_client.get("/admin/orders/order/shipping-report/").content.decode()
    assert order.order_no in content and "副本" not in content
    assert any("orders_parcel" in query["sql"] for query in queries.captured_queries)


def running(lag):
    return ReplicationStatus(lag_seconds=lag, io_running=True, sql_running=True)


def test_a_replica_within_the_lag_bound_is_read_and_the_page_says_how_far_behind():
    source = replica.source_for(running(4), max_lag=30)
    assert source.alias == REPLICA and not source.fell_back
    assert source.notice == "报表数据来自只读副本，延迟约 4 秒。"


def test_a_replica_beyond_the_lag_bound_is_not_read():
    source = replica.source_for(running(31), max_lag=30)
    assert source.alias == "default" and source.fell_back
    assert source.notice == "只读副本延迟约 31 秒，超过 30 秒的上限，本页改读主库。"


def test_a_stopped_or_absent_replication_is_not_read():
    stopped = ReplicationStatus(lag_seconds=None, io_running=False, sql_running=True)
    assert replica.source_for(stopped, max_lag=30) == replica.fallback("副本复制已停止，本页改读主库。")
    sql_stopped = ReplicationStatus(lag_seconds=0, io_running=True, sql_running=False)
    assert replica.source_for(sql_stopped, max_lag=30).alias == "default"
    assert replica.source_for(None, max_lag=30) == replica.fallback("只读副本没有在复制主库，本页改读主库。")
