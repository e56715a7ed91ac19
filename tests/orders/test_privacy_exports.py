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


def first_row(text):
    header, row, *_rest = csv.reader(io.StringIO(text))
    # A full phone carries the leading tab that keeps it text in Excel (spreadsheets.cells.csv_cell).
    return dict(zip(header, [cell.removeprefix("\t") for cell in row], strict=True))


@pytest.mark.parametrize("download", [order_export, report_csv], ids=["order export", "shipping report"])
def test_a_managers_downloads_are_masked_and_not_logged(manager_client, order, download):
    text = download(manager_client)
    row = first_row(text)
    assert row["订单号"] == order.order_no
    assert (row["电话"], row["地址"]) == (MASKED_PHONE, SHORT_ADDRESS)
    assert PHONE not in text
    assert not ReceiverReveal.objects.exists()


def test_the_report_page_is_masked_and_not_logged(manager_client, manager, order):
    manager.user_permissions.add(Permission.objects.get(codename="export_full_receiver"))
    page = manager_client.get(REPORT).content.decode()
    assert order.order_no in page and MASKED_PHONE in page and PHONE not in page
    assert not ReceiverReveal.objects.exists()


@pytest.mark.parametrize(
    ("download", "detail"), [(order_export, "1 单"), (report_csv, "发货日报")], ids=["order export", "shipping report"]
)
def test_the_full_export_permission_gives_full_details_and_logs_the_download(
    manager_client, manager, order, download, detail
):
    manager.user_permissions.add(Permission.objects.get(codename="export_full_receiver"))
    row = first_row(download(manager_client))
    assert (row["电话"], row["地址"]) == (PHONE, ADDRESS)
    [(user, how, logged)] = ReceiverReveal.objects.values_list("user", "how", "detail")
    assert (user, how) == (manager.pk, "export") and detail in logged


def test_shipping_report_command_is_masked_unless_asked(order):
    masked, full = io.StringIO(), io.StringIO()
    call_command("shipping_report", "--date", timezone.localdate().isoformat(), stdout=masked)
    call_command("shipping_report", "--date", timezone.localdate().isoformat(), "--full-receiver", stdout=full)
    assert MASKED_PHONE in masked.getvalue() and PHONE not in masked.getvalue()
    assert PHONE in full.getvalue()
