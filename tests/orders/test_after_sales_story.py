"""Issue 19's "done when", as one story a new clerk lives through in the admin.

An order of three items ships. The buyer sends back the two cups; on the scan desk the clerk
counts one good and one damaged; only the good one goes back on the shelf. The damaged one is
reissued. The order's timeline, the ledger and the daily report then tell the same story.
"""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import MANAGERS, OPS
from inventory.models import InventoryItem, StockMovement
from orders import services
from orders.models import AfterSaleCase, Order, Parcel
from spreadsheets.writing import BOM
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.role_fixtures import staff_in

pytestmark = pytest.mark.django_db

REASON = StockMovement.Reason
RETURN_NO = "YT3000000001"


def stock(item):
    return InventoryItem.objects.get(pk=item.pk).stock


def test_a_return_with_a_damaged_piece_then_a_reissue_tells_one_story(client, django_user_model):
    clerk = staff_in(django_user_model, "newclerk", OPS)
    cup = ItemFactory(sku="STORY-CUP", name="陶瓷杯", initial_stock=10)
    lid = ItemFactory(sku="STORY-LID", name="杯盖", initial_stock=10)
    box = ItemFactory(sku="STORY-BOX", name="礼盒", initial_stock=10)
    order = OrderFactory(order_no="STORY-1", lines=[(cup, 2), (lid, 1), (box, 1)])
    services.ship_order(order, carrier("SF"), sf_number(1), user=clerk)
    cup_line = order.lines.get(item=cup)
    client.force_login(clerk)

    # 1. From the order page: 新建售后, a return of the cups only.
    order_page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    new_url = reverse("admin:orders_aftersalecase_new", args=[order.pk])
    assert new_url in order_page
    page = client.post(
        new_url,
        {
            "kind": "return_refund",
            "reason": "杯子有裂纹",
            f"qty_{cup_line.pk}": "2",
            "return_tracking_number": RETURN_NO,
        },
        follow=True,
    )
    returned = AfterSaleCase.objects.get()
    assert f"已新建{returned}（退货退款，订单 STORY-1）" in page.content.decode()

    # 2. The parcel comes back: scanned on the desk, counted 1 good + 1 damaged.
    scan_url = reverse("admin:orders_order_scan")
    page = client.post(scan_url, {"code": RETURN_NO})
    assert f"退货：{returned}（订单 STORY-1，退货退款）" in page.content.decode()
    case_line = returned.lines.get()
    page = client.post(
        scan_url,
        {"receive": "1", "case": returned.pk, f"good_{case_line.pk}": "1", f"damaged_{case_line.pk}": "1"},
        follow=True,
    )
    assert "良品 1 件已回库存，次品 1 件已登记（不回库存）" in page.content.decode()
    assert (stock(cup), stock(lid), stock(box)) == (9, 9, 9)  # only the good cup is back

    # 3. The damaged cup is reissued: a 补发 case, shipped from its page.
    client.post(new_url, {"kind": "reissue", "reason": "次品补发", f"qty_{cup_line.pk}": "1"})
    reissue = AfterSaleCase.objects.get(kind="reissue")
    page = client.post(
        reverse("admin:orders_aftersalecase_step", args=[reissue.pk, "reissue"]),
        {"carrier": carrier("SF").pk, "tracking_number": sf_number(2)},
        follow=True,
    )
    assert f"已补发{reissue}：顺丰速运 {sf_number(2)}，库存已扣减。售后单已完成。" in page.content.decode()
    assert stock(cup) == 8
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED

    # The timeline, newest first.
    timeline = client.get(reverse("admin:orders_order_change", args=[order.pk])).context["timeline"]
    titles = [entry.title for entry in timeline]
    expected = [
        f"售后已完成 {reissue}（补发）",
        f"补发 包裹 顺丰速运 {sf_number(2)}",
        f"新建售后 {reissue}（补发）",
        f"退货入库 {returned}（退货退款）",
        f"新建售后 {returned}（退货退款）",
        f"已发货 包裹 顺丰速运 {sf_number(1)}",
    ]
    assert [title for title in titles if title in expected] == expected
    received = next(entry for entry in timeline if entry.title.startswith("退货入库"))
    assert received.details[0] == "STORY-CUP 良品 1、次品 1"
    opened = next(entry for entry in timeline if entry.title == f"新建售后 {returned}（退货退款）")
    assert opened.details == ["STORY-CUP × 2", "原因：杯子有裂纹", f"退货单号：{RETURN_NO}"]

    # The ledger of the cup: the same four steps, the balances the shelf saw.
    rows = list(StockMovement.objects.filter(item=cup).order_by("pk").values_list("reason", "delta", "balance_after"))
    assert rows == [(REASON.RECEIVE, 10, 10), (REASON.SHIP, -2, 8), (REASON.RETURN, 1, 9), (REASON.REISSUE, -1, 8)]
    assert StockMovement.objects.get(reason=REASON.REISSUE).parcel == Parcel.objects.get(kind=Parcel.Kind.REISSUE)

    # The daily report (a manager's): one sale of 4 pieces; after-sales: the reissue and the return.
    client.force_login(staff_in(django_user_model, "boss", MANAGERS))
    report_url = reverse("admin:shipping_report")
    page = client.get(report_url)
    assert (page.context["summary"].parcels, page.context["summary"].units) == (1, 4)
    assert "补发 1 个包裹，1 件 · 退货入库 1 单，良品 1 件（已回库存），次品 1 件" in page.content.decode()
    body = b"".join(client.get(report_url, {"format": "csv"}).streaming_content).decode()
    table = list(csv.reader(io.StringIO(body.removeprefix(BOM))))
    section = table.index(["售后（补发与退货入库）"])
    after = {row[0]: row for row in table[section + 2 :]}
    assert after["退货入库"][1:8] == [str(returned), "STORY-1", "STORY-CUP", "陶瓷杯", "2", "1", "1"]
    assert after["补发"][1:10] == [
        str(reissue),
        "STORY-1",
        "STORY-CUP",
        "陶瓷杯",
        "1",
        "",
        "",
        "顺丰速运",
        sf_number(2),
    ]
    assert len(table[1:section]) == 4  # the sale's three lines, then the blank row between the tables

    call_command("verify_stock", stdout=io.StringIO())
