"""Issue 14's "done when", as a new user would try it, through the admin's own pages.

Import a file where one order has three SKUs, ship two of them in one parcel and the third the
next day in another, merge two orders of one receiver into one parcel, void a parcel; at every
step stock, status, the ledger, the report and the timeline agree.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from inventory.models import InventoryItem, StockMovement
from orders.models import Order, Parcel
from orders.reports.days import local_date
from tests.factories import ItemFactory, carrier, sf_number
from tests.importing import csv_bytes

pytestmark = pytest.mark.django_db
ORDER_HEADERS = ["订单号", "用户ID", "SKU", "数量", "收货人", "电话", "地址", "子订单号"]
RECEIVER = ["王芳", "13900001111", "杭州市西湖区文三路 1 号"]


def import_orders(client, rows):
    file = SimpleUploadedFile("orders.csv", csv_bytes([ORDER_HEADERS, *rows]), content_type="text/csv")
    preview = client.post(reverse("admin:orders_order_import"), {"resource": "1", "format": "0", "import_file": file})
    assert preview.context["confirm_form"] is not None, preview.content.decode()
    return client.post(reverse("admin:orders_order_process_import"), preview.context["confirm_form"].initial)


def stock(*items):
    return [InventoryItem.objects.get(pk=item.pk).stock for item in items]


def status(order_no):
    return Order.objects.get(order_no=order_no).status


def report_rows(client, day):
    response = client.get(reverse("admin:shipping_report"), {"date_from": day, "date_to": day, "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return [(row["订单号"], row["SKU"], row["数量"], row["快递单号"]) for row in csv.DictReader(io.StringIO(text))]


def timeline_titles(client, order_no):
    order = Order.objects.get(order_no=order_no)
    return [
        entry.title for entry in client.get(reverse("admin:orders_order_change", args=[order.pk])).context["timeline"]
    ]


def agree():
    """Stock equals its ledger and every line's shipped units equal what the ledger moved (DESIGN.md rule 1)."""
    call_command("verify_stock", stdout=io.StringIO())


def test_a_new_users_first_days(clerk_client, clerk):
    cup, tee, pen, bag = (ItemFactory(sku=sku, initial_stock=10) for sku in ("CUP", "TEE", "PEN", "BAG"))

    # Day 1: one file, an order with three SKUs and two orders of one receiver.
    import_orders(
        clerk_client,
        [
            ["A100", "U1", "CUP", "1", "张三", "13800138000", "上海市浦东新区张杨路 100 号", "A100-1"],
            ["A100", "U1", "TEE", "2", "张三", "13800138000", "上海市浦东新区张杨路 100 号", "A100-2"],
            ["A100", "U1", "PEN", "3", "张三", "13800138000", "上海市浦东新区张杨路 100 号", "A100-3"],
            ["B200", "U2", "BAG", "1", *RECEIVER, ""],
            ["B201", "U2", "CUP", "2", *RECEIVER, ""],
        ],
    )
    order = Order.objects.get(order_no="A100")
    assert list(order.lines.values_list("item__sku", "quantity", "sub_order_no")) == [
        ("CUP", 1, "A100-1"),
        ("TEE", 2, "A100-2"),
        ("PEN", 3, "A100-3"),
    ]
    assert stock(cup, tee, pen, bag) == [10, 10, 10, 10]  # new orders take no stock

    # Ship two of the three SKUs in one parcel from the order page.
    cup_line, tee_line, pen_line = order.lines.order_by("pk")
    clerk_client.post(
        reverse("admin:orders_order_ship_part", args=[order.pk]),
        {f"line_{cup_line.pk}": 1, f"line_{tee_line.pk}": 2, f"line_{pen_line.pk}": 0, "tracking_number": sf_number(1)},
    )
    assert status("A100") == Order.Status.PARTIAL
    assert stock(cup, tee, pen) == [9, 8, 10]
    agree()

    # Merge the receiver's two orders into one parcel with the list action.
    merged = [Order.objects.get(order_no=no) for no in ("B200", "B201")]
    clerk_client.post(
        reverse("admin:orders_order_changelist"),
        {
            "action": "merge_ship",
            ACTION_CHECKBOX_NAME: [o.pk for o in merged],
            "apply": "1",
            "carrier": carrier("SF").pk,
            "tracking_number": sf_number(2),
        },
    )
    parcel = Parcel.objects.get(tracking_number=sf_number(2))
    assert parcel.lines.count() == 2 and {status("B200"), status("B201")} == {Order.Status.SHIPPED}
    assert stock(cup, bag) == [7, 9]
    agree()

    today = local_date(timezone.now())
    assert sorted(report_rows(clerk_client, today.isoformat())) == sorted(
        [
            ("A100", "CUP", "1", sf_number(1)),
            ("A100", "TEE", "2", sf_number(1)),
            ("B200", "BAG", "1", sf_number(2)),
            ("B201", "CUP", "2", sf_number(2)),
        ]
    )

    # Day 2: the third SKU in a second parcel (its ship time moved to tomorrow, as if shipped then).
    clerk_client.post(
        reverse("admin:orders_order_ship_part", args=[order.pk]),
        {f"line_{pen_line.pk}": 3, "carrier": carrier("SF").pk, "tracking_number": sf_number(3)},
    )
    tomorrow = timezone.now() + timedelta(days=1)
    Parcel.objects.filter(tracking_number=sf_number(3)).update(shipped_at=tomorrow)
    assert status("A100") == Order.Status.SHIPPED
    assert stock(pen) == [7]
    assert report_rows(clerk_client, local_date(tomorrow).isoformat()) == [("A100", "PEN", "3", sf_number(3))]
    agree()

    # A mistake: void the first parcel from the order page; its stock comes back, the order is partly shipped.
    first = Parcel.objects.get(tracking_number=sf_number(1))
    clerk_client.post(reverse("admin:orders_order_void_parcel", args=[order.pk, first.pk]), {"post": "yes"})
    assert status("A100") == Order.Status.PARTIAL
    assert stock(cup, tee, pen) == [8, 10, 7]
    assert ("A100", "CUP", "1", sf_number(1)) not in report_rows(clerk_client, today.isoformat())
    assert StockMovement.objects.filter(parcel=first, reason=StockMovement.Reason.RESTOCK).count() == 2
    agree()

    titles = timeline_titles(clerk_client, "A100")
    assert f"撤销包裹 顺丰速运 {sf_number(1)}" in titles
    assert f"已发货 包裹 顺丰速运 {sf_number(3)}" in titles and f"已发货 包裹 顺丰速运 {sf_number(1)}" in titles
    assert "部分发货" in titles and "已全部发货" in titles
