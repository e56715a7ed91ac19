import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from devdata.kuaidi100_standin import FakeKuaidi100
from logistics.models import Sender
from orders.models import Order
from tests.celery_worker import app_on_test_queue, worker_thread
from tests.factories import carrier
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


@pytest.fixture(scope="session", autouse=True)
def celery_test_app():
    """The project's Celery app on a test Redis DB and a queue of this run's own (for every test here,
    so nothing a test enqueues can reach a real worker)."""
    with app_on_test_queue("oms-test") as app:
        yield app


@pytest.fixture
def celery_worker(celery_test_app):
    """Start a real Celery worker (a thread of this process) on demand: `with celery_worker() as finished:`.

    `finished` is an Event set after each task (tests/celery_worker.py).
    """
    return lambda: worker_thread(celery_test_app)
