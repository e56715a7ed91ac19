"""django-import-export exports of the order list and the item list (CSV with BOM, XLSX)."""

import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from orders.reports.exports import EXPORT_HEADERS
from tests.factories import ItemFactory, OrderFactory
from tests.orders.report_data import shipped_lines, shipped_order

pytestmark = pytest.mark.django_db

ORDER_EXPORT = "/admin/orders/order/export/"
ITEM_EXPORT = "/admin/inventory/inventoryitem/export/"
CSV_FORMAT, XLSX_FORMAT = "0", "1"


def csv_rows(response):
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_export_page_offers_csv_and_xlsx(clerk_client):
    content = clerk_client.get(ORDER_EXPORT).content.decode()
    assert ">CSV（.csv）<" in content and ">Excel（.xlsx，推荐）<" in content
    assert all(header in content for header in EXPORT_HEADERS)


def test_order_csv_export_follows_the_list_filters(clerk_client):
    pending = OrderFactory(receiver_name="=1+1")
    shipped = shipped_order(timezone.now(), "SF", receiver_name="@王五")
    response = clerk_client.post(f"{ORDER_EXPORT}?ship_status=shipped", {"format": CSV_FORMAT, "resource": "0"})
    assert response.status_code == 200
    rows = csv_rows(response)
    assert rows[0] == EXPORT_HEADERS
    assert [(r[0], r[6], r[9], r[11]) for r in rows[1:]] == [
        (shipped.order_no, "'@王五", "已发货", shipped.parcel.tracking_number)
    ]

    rows = csv_rows(clerk_client.post(f"{ORDER_EXPORT}?ship_status=unshipped", {"format": CSV_FORMAT}))
    assert [(r[0], r[6], r[5], r[9], r[11]) for r in rows[1:]] == [(pending.order_no, "'=1+1", "0", "待发货", "")]


def test_order_export_is_a_row_per_line_with_its_shipped_units(clerk_client):
    cup, pen = ItemFactory(sku="CUP", initial_stock=9), ItemFactory(sku="PEN", initial_stock=9)
    order = OrderFactory(lines=[(cup, 2), (pen, 1)])
    parcel = shipped_lines(timezone.now(), [(order.lines.get(item=cup), 1)])
    rows = csv_rows(clerk_client.post(f"{ORDER_EXPORT}?ship_status=all", {"format": CSV_FORMAT}))
    assert [(r[0], r[3], r[4], r[5], r[9], r[10], r[11]) for r in rows[1:]] == [
        (order.order_no, "CUP", "2", "1", "部分发货", "顺丰速运", parcel.tracking_number),
        (order.order_no, "PEN", "1", "0", "部分发货", "", ""),
    ]


def test_order_xlsx_export_escapes_formulae(clerk_client):
    shipped_order(timezone.now(), "SF", receiver_name='=HYPERLINK("x")', address="\t-1", quantity=3)
    response = clerk_client.post(f"{ORDER_EXPORT}?ship_status=all", {"format": XLSX_FORMAT})
    assert response.status_code == 200
    rows = xlsx_rows(response)
    assert rows[0] == EXPORT_HEADERS
    assert rows[1][4:6] == [3, 3]  # numbers stay numbers
    assert rows[1][6] == '\'=HYPERLINK("x")' and rows[1][8] == "'\t-1"


def test_order_export_of_selected_rows(clerk_client):
    chosen, other = OrderFactory(), OrderFactory()
    page = clerk_client.post(
        "/admin/orders/order/?ship_status=all",
        {"action": "export_admin_action", "_selected_action": [chosen.pk], "index": 0},
    )
    assert page.status_code == 200 and "export_items" in page.content.decode()
    response = clerk_client.post(
        f"{ORDER_EXPORT}?ship_status=all", {"format": CSV_FORMAT, "resource": "0", "export_items": [chosen.pk]}
    )
    assert [r[0] for r in csv_rows(response)[1:]] == [chosen.order_no]
    assert other.order_no not in response.content.decode("utf-8-sig")


def test_order_export_query_count_is_flat(clerk_client, django_assert_max_num_queries):
    item, other = ItemFactory(initial_stock=100), ItemFactory(initial_stock=100)
    shipped_order(timezone.now(), item=item)
    with django_assert_max_num_queries(14) as few:
        clerk_client.post(f"{ORDER_EXPORT}?ship_status=all", {"format": CSV_FORMAT})
    for _ in range(10):
        OrderFactory(lines=[(item, 1), (other, 2)])
        shipped_order(timezone.now(), lines=[(item, 1), (other, 1)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = clerk_client.post(f"{ORDER_EXPORT}?ship_status=all", {"format": CSV_FORMAT})
    assert len(csv_rows(response)) == 1 + 1 + 40


def test_item_export_csv_and_xlsx(clerk_client):
    ItemFactory(sku="+SKU-1", name="=cmd|' /C calc'!A0", initial_stock=3, low_stock_threshold=5)
    ItemFactory(sku="SKU-2", name="保温杯", initial_stock=50, low_stock_threshold=5)
    rows = csv_rows(clerk_client.post(ITEM_EXPORT, {"format": CSV_FORMAT}))
    assert rows == [
        ["SKU", "产品名", "库存", "预警库存", "低库存"],
        ["'+SKU-1", "'=cmd|' /C calc'!A0", "3", "5", "是"],
        ["SKU-2", "保温杯", "50", "5", "否"],
    ]
    rows = xlsx_rows(clerk_client.post(f"{ITEM_EXPORT}?low_stock=yes", {"format": XLSX_FORMAT}))
    assert rows == [["SKU", "产品名", "库存", "预警库存", "低库存"], ["'+SKU-1", "'=cmd|' /C calc'!A0", 3, 5, "是"]]


def test_list_pages_show_the_export_button(clerk_client):
    assert "/admin/orders/order/export/" in clerk_client.get("/admin/orders/order/").content.decode()
    assert ITEM_EXPORT in clerk_client.get("/admin/inventory/inventoryitem/").content.decode()


def staff_with(django_user_model, *codenames):
    user = django_user_model.objects.create_user("staff", password="pw-staff-12345", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def test_export_needs_the_export_permission(django_user_model):
    client = staff_with(django_user_model, "view_order", "view_inventoryitem")
    assert "/admin/orders/order/export/" not in client.get("/admin/orders/order/").content.decode()
    assert client.post(ORDER_EXPORT, {"format": CSV_FORMAT}).status_code == 403
    assert client.post(ITEM_EXPORT, {"format": CSV_FORMAT}).status_code == 403


def test_export_permissions_let_a_manager_export(django_user_model):
    OrderFactory()
    client = staff_with(django_user_model, "view_order", "export_order", "view_inventoryitem", "export_inventoryitem")
    assert ORDER_EXPORT in client.get("/admin/orders/order/").content.decode()
    assert len(csv_rows(client.post(ORDER_EXPORT, {"format": CSV_FORMAT}))) == 2
    assert len(csv_rows(client.post(ITEM_EXPORT, {"format": CSV_FORMAT}))) == 2
