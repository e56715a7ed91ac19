import contextlib
import functools

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from api.models import ApiClient, Scope
from api.services import create_api_client
from tests.celery_worker import app_on_test_queue, until, worker_thread
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


@pytest.fixture
def receiver():
    from tests.api.webhook_receiver import WebhookReceiver

    found = WebhookReceiver()
    found.start()
    yield found
    found.stop()


@pytest.fixture(scope="session", autouse=True)
def webhook_celery_app():
    """Every test here enqueues on a queue of its own, so no task reaches a real worker (or another engineer's)."""
    with app_on_test_queue("he-webhooks") as app:
        yield app


@pytest.fixture
def webhook_worker(webhook_celery_app):
    """`with webhook_worker() as until:` runs a real Celery worker in a thread of this process;
    `until(check)` waits, task by task, until `check()` holds (tests/celery_worker.py)."""

    @contextlib.contextmanager
    def run():
        with worker_thread(webhook_celery_app) as finished:
            yield functools.partial(until, finished)

    return run
