import contextlib
import os
import threading
import time
import uuid

import pytest
from django.core.cache import caches
from django.db import connections
from rest_framework.test import APIClient

from api.models import ApiClient, Scope
from api.services import create_api_client
from tests.factories import ItemFactory, ShopFactory

ALL_SCOPES = [Scope.ORDERS_WRITE, Scope.ORDERS_READ, Scope.STOCK_READ]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with no calls counted against any client."""
    caches["api"].clear()
    yield
    caches["api"].clear()


@pytest.fixture
def shop(db):
    return ShopFactory(name="自营商城")


@pytest.fixture
def items(db):
    return [ItemFactory(sku="TEE-RED-M", name="红色T恤 M", initial_stock=20), ItemFactory(sku="MUG-01", name="马克杯")]


@pytest.fixture
def make_client(shop):
    """make_client(scopes=[...], webhook_url="") -> (ApiClient, a DRF test client sending its key)."""

    def make(scopes=ALL_SCOPES, webhook_url="", name=None, client_shop=None):
        client = ApiClient(
            name=name or f"商城{ApiClient.objects.count() + 1}",
            shop=client_shop or shop,
            scopes=list(scopes),
            webhook_url=webhook_url,
        )
        key = create_api_client(client)
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client, http

    return make


@pytest.fixture
def api(make_client):
    return make_client()[1]


def order_body(order_no="WEB-0001", **changes):
    body = {
        "order_no": order_no,
        "customer_id": "buyer-9",
        "receiver": {"name": "张三", "phone": "13800138000", "address": "上海市浦东新区张杨路 100 号"},
        "lines": [{"sku": "TEE-RED-M", "quantity": 2, "sub_order_no": "S1"}],
        "buyer_message": "",
    }
    body.update(changes)
    return body


# -- webhooks: a local receiver, and a real Celery worker on a queue of this run's own ------------

TEST_BROKER = os.environ.get("OMS_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def receiver():
    from tests.api.webhook_receiver import WebhookReceiver

    found = WebhookReceiver()
    found.start()
    yield found
    found.stop()


@pytest.fixture(scope="session", autouse=True)
def webhook_celery_app():
    """The project's Celery app on the test Redis DB and a queue of its own, so no task of these
    tests reaches a real worker (or another engineer's)."""
    from oms.celery import app

    queue = f"he-webhooks-{uuid.uuid4().hex[:12]}"
    app.conf.update(
        broker_url=TEST_BROKER,
        task_default_queue=queue,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=False,
    )
    yield app
    with contextlib.suppress(Exception), app.connection() as conn:
        conn.default_channel.client.delete(queue)


@pytest.fixture
def webhook_worker(webhook_celery_app):
    """`with webhook_worker() as until:` runs a real Celery worker in a thread of this process, on the
    test database (the test's own connection for SQLite in memory, as Django's live server does).

    `until(check)` waits, task by task, until `check()` holds (or fails after 20 seconds).
    """
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun, task_prerun

    shared = connections["default"]
    in_memory = shared.vendor == "sqlite" and shared.is_in_memory_db()
    ran = threading.Condition()
    tasks_run = [0]

    def use_test_connection(**kwargs):
        if in_memory:
            connections["default"] = shared

    def count_task(**kwargs):
        with ran:
            tasks_run[0] += 1
            ran.notify_all()

    def until(check, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            with ran:
                seen = tasks_run[0]
            if check():
                return
            with ran:
                left = deadline - time.monotonic()
                if left <= 0 or not ran.wait_for(lambda seen=seen: tasks_run[0] > seen, left):
                    raise AssertionError("the webhook worker did not get there in time")

    @contextlib.contextmanager
    def run():
        if in_memory:
            shared.inc_thread_sharing()
        task_prerun.connect(use_test_connection, weak=False)
        task_postrun.connect(count_task, weak=False)
        try:
            with start_worker(webhook_celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
                yield until
        finally:
            task_prerun.disconnect(use_test_connection)
            task_postrun.disconnect(count_task)
            if in_memory:
                shared.dec_thread_sharing()

    return run
