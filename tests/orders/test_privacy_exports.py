"""PIPL on every export: masked unless the user holds orders.export_full_receiver, and logged then."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone

from orders.models import ReceiverReveal
from tests.orders.report_data import shipped_order
from tests.role_fixtures import staff_in

pytestmark = pytest.mark.django_db

ORDER_EXPORT = "/admin/orders/order/export/"
REPORT = "/admin/orders/order/shipping-report/"
PHONE, ADDRESS = "13912345678", "广东省深圳市南山区科技园路 8 号"
MASKED_PHONE, SHORT_ADDRESS = "139****5678", "广东省深圳市南山区****"


@pytest.fixture
def manager(django_user_model):
    from accounts.roles import MANAGERS

    return staff_in(django_user_model, "manager", MANAGERS)


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def order():
    return shipped_order(timezone.now(), "SF", receiver_phone=PHONE, address=ADDRESS)


def body(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8-sig")


def order_export(client):
    return body(client.post(f"{ORDER_EXPORT}?ship_status=all", {"format": "0", "resource": "0"}))


def report_csv(client):
    today = timezone.localdate().isoformat()
    return body(client.get(REPORT, {"date_from": today, "date_to": today, "format": "csv"}))


def test_manager_exports_and_report_are_masked_and_not_logged(manager_client, order):
    for text in (order_export(manager_client), report_csv(manager_client)):
        rows = list(csv.reader(io.StringIO(text)))
        row = dict(zip(rows[0], rows[1], strict=True))
        assert row["订单号"] == order.order_no
        assert (row["电话"], row["地址"]) == (MASKED_PHONE, SHORT_ADDRESS)
        assert PHONE not in text
    page = manager_client.get(REPORT).content.decode()
    assert MASKED_PHONE in page and PHONE not in page
    assert not ReceiverReveal.objects.exists()


def test_the_full_export_permission_gives_full_details_and_logs_each_export(manager_client, manager, order):
    manager.user_permissions.add(Permission.objects.get(codename="export_full_receiver"))
    for text in (order_export(manager_client), report_csv(manager_client)):
        rows = list(csv.reader(io.StringIO(text)))
        row = dict(zip(rows[0], rows[1], strict=True))
        assert (row["电话"], row["地址"]) == (PHONE, ADDRESS)
    reveals = list(ReceiverReveal.objects.order_by("id").values_list("user", "how", "detail"))
    assert [(user, how) for user, how, _ in reveals] == [(manager.pk, "export"), (manager.pk, "export")]
    assert "1 单" in reveals[0][2] and "发货日报" in reveals[1][2]


def test_shipping_report_command_is_masked_unless_asked(order):
    masked, full = io.StringIO(), io.StringIO()
    call_command("shipping_report", "--date", timezone.localdate().isoformat(), stdout=masked)
    call_command("shipping_report", "--date", timezone.localdate().isoformat(), "--full-receiver", stdout=full)
    assert MASKED_PHONE in masked.getvalue() and PHONE not in masked.getvalue()
    assert PHONE in full.getvalue()
