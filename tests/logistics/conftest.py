import contextlib
import os
import threading
import uuid

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connections
from django.test import RequestFactory

from logistics.models import Sender
from orders.models import Order
from tests.factories import carrier
from tests.logistics.fake_kuaidi100 import FakeKuaidi100
from tests.role_fixtures import manager_client, manager_user, ops_client, ops_user

__all__ = ["manager_client", "manager_user", "ops_client", "ops_user"]

PUSH_PATH = "/logistics/kuaidi100/push/"
TEST_SALT = "test-salt-0123456789abcdef"


@pytest.fixture
def fake_kuaidi100():
    fake = FakeKuaidi100().start()
    yield fake
    fake.stop()


@pytest.fixture
def configured(settings):
    """Kuaidi100 credentials set (no courier called): the 快递接口 pages exist only then."""
    settings.KUAIDI100 = {"KEY": "key", "SECRET": "secret", "CUSTOMER": "customer"}


@pytest.fixture
def courier(settings, fake_kuaidi100, db):
    """Kuaidi100 configured against the local fake, pushes addressed to the test client's host."""
    settings.KUAIDI100 = {
        "KEY": fake_kuaidi100.key,
        "SECRET": fake_kuaidi100.secret,
        "CUSTOMER": fake_kuaidi100.customer,
        "BASE_URL": fake_kuaidi100.base_url,
        "CALLBACK_URL": f"http://testserver{PUSH_PATH}",
        "SALT": TEST_SALT,
        "TIMEOUT": 2.0,
        "RETRIES": 2,
    }
    return fake_kuaidi100


@pytest.fixture
def sender(db):
    return Sender.objects.create(
        name="王店长", phone="13900139000", address="浙江省杭州市余杭区文一西路 969 号", default_carrier=carrier("SF")
    )


# -- the order admin as logistics extends it ---------------------------------------------------


def order_admin():
    """The ModelAdmin the site serves for orders (logistics' CourierOrderAdmin)."""
    return admin.site._registry[Order]


def admin_request(user, method="get", data=None, path="/admin/orders/order/"):
    """A request as the admin sees it: a user, a session-less message store."""
    request = getattr(RequestFactory(), method)(path, data or {})
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def messages_of(request):
    return [str(message) for message in request._messages]


def run_action(user, orders, action="issue_waybills"):
    """Post an order-list action through the admin's own dispatch (get_actions, permissions, selection).

    Returns (response, messages shown).
    """
    data = {"action": action, ACTION_CHECKBOX_NAME: [order.pk for order in orders], "index": "0"}
    request = admin_request(user, "post", data)
    response = order_admin().response_action(request, Order.objects.all())
    return response, messages_of(request)


# -- the task queue --------------------------------------------------------------------------

TEST_BROKER = os.environ.get("OMS_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session", autouse=True)
def celery_test_app():
    """The project's Celery app on a test Redis DB and a queue of this run's own (for every test here,
    so nothing a test enqueues can reach a real worker)."""
    from oms.celery import app

    queue = f"oms-test-{uuid.uuid4().hex[:12]}"
    app.conf.update(
        broker_url=TEST_BROKER,
        task_default_queue=queue,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=False,
    )
    yield app
    with contextlib.suppress(Exception), app.connection() as conn:  # Redis may have gone away: nothing to clean
        conn.default_channel.client.delete(queue)


@pytest.fixture
def celery_worker(celery_test_app):
    """Start a real Celery worker (a thread of this process) on demand: `with celery_worker() as finished:`.

    `finished` is an Event set after each task. The worker uses the test database: its own
    connection on MariaDB, the test's connection for SQLite in memory (as Django's live server does).
    """
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun, task_prerun

    shared = connections["default"]
    in_memory = shared.vendor == "sqlite" and shared.is_in_memory_db()
    finished = threading.Event()

    def use_test_connection(**kwargs):
        if in_memory:
            connections["default"] = shared

    def mark_finished(**kwargs):
        finished.set()

    @contextlib.contextmanager
    def run():
        if in_memory:
            shared.inc_thread_sharing()
        task_prerun.connect(use_test_connection, weak=False)
        task_postrun.connect(mark_finished, weak=False)
        try:
            with start_worker(celery_test_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
                yield finished
        finally:
            task_prerun.disconnect(use_test_connection)
            task_postrun.disconnect(mark_finished)
            if in_memory:
                shared.dec_thread_sharing()

    return run
