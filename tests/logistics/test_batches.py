"""Background e-waybill batches on a real Celery worker and the Redis this machine runs."""

import time
from io import StringIO

import kombu.pools
import pytest
from django.core.management import call_command
from django.urls import reverse

from inventory.models import InventoryItem
from logistics.models import Waybill, WaybillBatch
from orders.models import Order
from tests.factories import ItemFactory, OrderFactory
from tests.logistics.conftest import run_action

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_batch_of_100_orders_runs_in_background_with_progress(
    courier, sender, clerk, clerk_client, celery_worker, ledger_is_consistent
):
    items = [ItemFactory(initial_stock=30) for _ in range(5)]
    orders = [OrderFactory(item=items[n % 5], quantity=1 + n % 2) for n in range(100)]
    response, _shown = run_action(clerk, orders)
    batch = WaybillBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:logistics_waybillbatch_change", args=[batch.pk])

    # No worker yet: the batch waits in the queue and its page says so, refreshing itself.
    page = clerk_client.get(response["Location"]).content.decode()
    assert "排队中" in page and "0 / 100" in page and 'http-equiv="refresh"' in page
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == 0

    started = time.monotonic()
    with celery_worker() as finished:
        assert finished.wait(timeout=180), "the worker did not finish the batch"
    elapsed = time.monotonic() - started

    batch.refresh_from_db()
    assert batch.status == WaybillBatch.Status.FINISHED
    assert (batch.total, batch.done, batch.failed) == (100, 100, 0)
    assert len(batch.messages) == 100 and all("已发货" in m for m in batch.messages)
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == 100
    assert Waybill.objects.filter(state=Waybill.State.USED, parcel__isnull=False).count() == 100
    assert courier.purchases == 100
    assert sorted(InventoryItem.objects.values_list("stock", flat=True)) == [0, 0, 0, 0, 0]
    out = StringIO()
    call_command("verify_stock", stdout=out)
    assert "库存与流水一致" in out.getvalue()
    ledger_is_consistent()

    page = clerk_client.get(response["Location"]).content.decode()
    assert "已完成" in page and "100 / 100" in page and 'http-equiv="refresh"' not in page
    print(f"\nbatch of 100 e-waybills: {elapsed:.2f}s")


def test_batch_reports_each_failure_and_is_resumable(courier, sender, clerk, celery_worker):
    item = ItemFactory(initial_stock=3)
    orders = [OrderFactory(item=item) for _ in range(8)]
    courier.fail_next("http500", path="/label/order", times=2)
    run_action(clerk, orders)
    with celery_worker() as finished:
        assert finished.wait(timeout=120)
    batch = WaybillBatch.objects.get()
    assert (batch.done, batch.failed) == (3, 5)
    failures = [m for m in batch.messages if "已发货" not in m]
    assert sum("HTTP 500" in m for m in failures) == 2
    assert sum("库存不足" in m for m in failures) == 3
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == 3
    item.refresh_from_db()
    assert item.stock == 0
    # Running the finished batch again changes nothing.
    from logistics.services.batches import run_waybill_batch

    run_waybill_batch(batch.pk)
    batch.refresh_from_db()
    assert (batch.done, batch.failed) == (3, 5)


@pytest.fixture
def broker_down(celery_test_app):
    """Point the app at a port where no Redis listens, then restore it."""
    app = celery_test_app

    def reset_pools():
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        # kombu's own registry keeps producer pools over the connections just closed: without this,
        # any later test that enqueues (tests/api's webhooks) fails with "Acquire on closed pool".
        kombu.pools.reset()

    saved = app.conf.broker_url
    reset_pools()
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    reset_pools()
    app.conf.broker_url = saved


def test_queue_unreachable_fails_the_batch_with_a_chinese_message(courier, sender, clerk, clerk_client, broker_down):
    orders = [OrderFactory(item=ItemFactory(initial_stock=5)) for _ in range(6)]
    response, shown = run_action(clerk, orders)
    assert shown == ["后台任务队列不可用，没有订单被处理。队列恢复后请在批次页面点“继续处理”。"]
    batch = WaybillBatch.objects.get()
    assert batch.status == WaybillBatch.Status.FAILED
    assert "后台任务队列不可用" in batch.messages[0]
    page = clerk_client.get(response["Location"]).content.decode()
    assert "未能启动" in page and 'http-equiv="refresh"' not in page
    assert Order.objects.filter(status=Order.Status.PENDING).count() == 6
    assert courier.purchases == 0
