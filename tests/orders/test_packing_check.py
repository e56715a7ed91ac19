"""验货 on the scan desk (issue 18): a parcel ships only when every scanned line is counted, a wrong
or surplus item is refused, 强制发货 is recorded; without barcodes the desk works as before."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import InventoryItem
from orders import services
from orders.desk.packing_check import looks_like_weight, parse_weight
from orders.desk.scan import handle_scan
from orders.models import Order, PackingCheck, Parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db
URL = reverse("admin:orders_order_scan")


def stock_of(item):
    return InventoryItem.objects.get(pk=item.pk).stock


@pytest.fixture
def shirt():
    return ItemFactory(initial_stock=10, sku="TS-WHT-L", name="白色T恤 L", barcode="6901234567892")


@pytest.fixture
def cup():
    return ItemFactory(initial_stock=10, sku="CUP-500", name="保温杯", barcode="6920000000017")


def waiting(order, seed=1):
    (parcel,) = services.prepare_orders([(order, carrier("SF"), sf_number(seed))])
    return parcel


class Desk:
    """The desk's session as the view keeps it: the current order and the check between scans."""

    def __init__(self, user, current=None):
        self.user, self.current, self.check = user, current, None

    def scan(self, code, **kwargs):
        result = handle_scan(code, current=self.current, user=self.user, verify=True, check=self.check, **kwargs)
        self.check = None if result.kind == "shipped" else result.check
        self.current = result.order or self.current
        return result


def test_right_items_ship_the_parcel_when_the_last_is_counted(clerk, shirt, cup, ledger_is_consistent):
    order = OrderFactory(lines=[(shirt, 2), (cup, 1)])
    parcel = waiting(order)
    desk = Desk(clerk)
    assert desk.scan(parcel.tracking_number).kind == "checking"
    assert desk.scan("6901234567892").message == "已清点 TS-WHT-L 1/2，还差 2 件。"
    assert desk.scan("6920000000017").kind == "counted"
    assert stock_of(shirt) == 10  # nothing moved before the last item
    last = desk.scan("６９０１２３４５６７８９２")  # full-width digits from an IME are folded
    assert last.kind == "shipped", last.message
    parcel.refresh_from_db()
    assert (parcel.status, stock_of(shirt), stock_of(cup)) == ("shipped", 8, 9)
    check = PackingCheck.objects.get(parcel=parcel)
    assert (check.forced, check.missing, check.scanned_units, check.wrong_scans) == (False, "", 3, 0)
    ledger_is_consistent()


def test_a_wrong_item_is_refused_and_blocks_the_parcel(clerk, shirt, cup):
    parcel = waiting(OrderFactory(lines=[(shirt, 1)]))
    desk = Desk(clerk)
    desk.scan(parcel.tracking_number)
    wrong = desk.scan(cup.barcode)
    assert wrong.kind == "wrong" and wrong.message == "商品不对：CUP-500（保温杯）不在这个包裹里，请取出。"
    assert Parcel.objects.get(pk=parcel.pk).status == "numbered" and stock_of(cup) == 10
    # The label again, or another number, does not get the parcel out unchecked.
    assert desk.scan(sf_number(55)).kind == "error"
    assert desk.scan(shirt.barcode).kind == "shipped"
    assert PackingCheck.objects.get(parcel=parcel).wrong_scans == 1


def test_a_surplus_item_is_refused(clerk, shirt):
    order = OrderFactory(lines=[(shirt, 1)], note="")
    other = waiting(OrderFactory(lines=[(shirt, 2)]), seed=2)  # keeps the check open after one unit
    desk = Desk(clerk)
    desk.scan(other.tracking_number)
    desk.scan(shirt.barcode)
    desk.scan(shirt.barcode)  # the second ships it
    assert Parcel.objects.get(pk=other.pk).status == "shipped"
    parcel = waiting(order, seed=3)
    desk.scan(parcel.tracking_number)
    services.hold_order(order, "manual", user=clerk)  # the next count would ship it: hold it to keep it open
    shipped = desk.scan(shirt.barcode)
    assert shipped.kind == "error" and "已挂起" in shipped.message
    surplus = desk.scan(shirt.barcode)
    assert surplus.kind == "wrong" and surplus.message.startswith("多了：TS-WHT-L（白色T恤 L）只要 1 件")


def test_forced_ship_is_recorded_with_what_was_not_counted(clerk, shirt, cup, client):
    order = OrderFactory(lines=[(shirt, 2), (cup, 1)])
    parcel = waiting(order)
    desk = Desk(clerk)
    desk.scan(parcel.tracking_number)
    desk.scan(shirt.barcode)
    forced = desk.scan("强制发货", weight=Decimal("2.5"))
    assert forced.kind == "shipped" and "强制发货，未清点 TS-WHT-L × 1、CUP-500 × 1，已记入验货记录" in forced.message
    parcel.refresh_from_db()
    assert (parcel.status, parcel.weight, stock_of(shirt), stock_of(cup)) == ("shipped", Decimal("2.500"), 8, 9)
    check = PackingCheck.objects.get(parcel=parcel)
    assert (check.forced, check.missing, check.checked_by) == (True, "TS-WHT-L × 1、CUP-500 × 1", clerk)
    client.force_login(clerk)
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "强制发货（未清点 TS-WHT-L × 1、CUP-500 × 1）" in page and "2.5 千克" in page


def test_an_order_without_a_parcel_is_checked_before_its_number_ships_it(clerk, shirt):
    order = OrderFactory(lines=[(shirt, 1)])
    desk = Desk(clerk, current=order)
    early = desk.scan(sf_number(8))
    assert early.kind == "error" and "验货未完成，还差 TS-WHT-L × 1" in early.message
    assert not Parcel.objects.exists()
    assert desk.scan(shirt.barcode).kind == "checked"
    assert desk.scan(sf_number(8)).kind == "shipped"
    assert Order.objects.get(pk=order.pk).status == "shipped"
    assert PackingCheck.objects.get().forced is False


def test_items_without_barcodes_are_not_asked_for(clerk, ledger_is_consistent):
    plain = ItemFactory(initial_stock=3)
    parcel = waiting(OrderFactory(item=plain))
    result = Desk(clerk).scan(parcel.tracking_number)
    assert result.kind == "shipped" and stock_of(plain) == 2
    assert not PackingCheck.objects.exists()  # nothing was checked: no 验货完成 on record
    order = OrderFactory(item=plain)
    assert Desk(clerk, current=order).scan(sf_number(6)).kind == "shipped"
    ledger_is_consistent()


def test_without_verify_the_label_ships_the_waiting_parcel_at_once(clerk, shirt):
    parcel = waiting(OrderFactory(lines=[(shirt, 1)]))
    result = handle_scan(parcel.tracking_number, current=None, user=clerk)
    assert result.kind == "shipped" and result.handed_over
    assert stock_of(shirt) == 9


def test_weights_from_a_scale(clerk):
    assert parse_weight("1.250") == (Decimal("1.250"), None)
    assert parse_weight("0.8kg") == (Decimal("0.8"), None)
    assert parse_weight("")[0] is None and parse_weight("")[1] is None
    assert parse_weight("0")[1].startswith("重量“0”不对")
    assert parse_weight("12345.6")[1] is not None
    assert looks_like_weight("1.25") and looks_like_weight("2kg") and not looks_like_weight("6901234567892")


def test_the_page_keeps_the_check_between_scans_and_undo_puts_the_parcel_back(clerk_client, shirt):
    order = OrderFactory(lines=[(shirt, 2)])
    parcel = waiting(order)
    clerk_client.post(URL, {"verify": "1", "current": ""})
    page = clerk_client.post(URL, {"code": parcel.tracking_number, "current": ""}).content.decode()
    assert "验货 · 顺丰速运" in page and "0/2" in page
    page = clerk_client.post(URL, {"code": shirt.barcode, "current": str(order.pk)}).content.decode()
    assert "1/2" in page
    bad = clerk_client.post(URL, {"code": "1.2.3kg", "current": str(order.pk), "weight": "abc"})
    assert bad.status_code == 422 and "重量“abc”不对" in bad.content.decode()
    clerk_client.post(URL, {"code": shirt.barcode, "current": str(order.pk), "weight": "1.5"}, follow=True)
    parcel.refresh_from_db()
    assert (parcel.status, parcel.weight, stock_of(shirt)) == ("shipped", Decimal("1.500"), 8)

    undone = clerk_client.post(URL, {"undo": "1", "parcel": str(parcel.pk)}, follow=True).content.decode()
    assert "回到“已打印”，库存已退回，单号保留" in undone
    parcel.refresh_from_db()
    assert (parcel.status, parcel.live_number, stock_of(shirt)) == ("printed", parcel.tracking_number, 10)


def test_the_record_lists_open_with_rows_on_every_database(clerk_client, clerk, shirt):
    """验货记录 and 个人信息查看记录 by day: the date filter, not date_hierarchy (MariaDB's tz tables)."""
    from orders.models import ReceiverReveal

    parcel = waiting(OrderFactory(lines=[(shirt, 1)]))
    PackingCheck.objects.create(parcel=parcel, checked_by=clerk, forced=True, missing="TS-WHT-L × 1")
    ReceiverReveal.objects.create(order_no="T1", user=clerk, how=ReceiverReveal.How.PAGE)
    checks = clerk_client.get(reverse("admin:orders_packingcheck_changelist"))
    assert checks.status_code == 200 and "TS-WHT-L × 1" in checks.content.decode()
    assert clerk_client.get(reverse("admin:orders_receiverreveal_changelist")).status_code == 200


@pytest.mark.parametrize("verify", [False, True])
def test_an_item_barcode_is_never_taken_for_a_tracking_number(clerk, shirt, verify):
    order = OrderFactory(lines=[(shirt, 1)])
    current = None if verify else order  # with 验货 on and an order current, the scan counts the item instead

    result = handle_scan("6901234567892", current=current, user=clerk, verify=verify)

    assert result.kind == "error" and not result.candidates  # not shipped, no courier to choose
    assert "是商品 TS-WHT-L（白色T恤 L）的条码，不是快递单号" in result.message
    assert ("请先扫描面单或订单号" if verify else "请点“开启验货”") in result.message
    assert not Parcel.objects.exists() and stock_of(shirt) == 10
