"""打印后扫描发货 (issue 18): the e-waybill only numbers the parcel; printing marks it 已打印; the
scan desk ships it, and only then does stock move. Voiding a waiting parcel cancels its waybill."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from inventory.models import InventoryItem, StockMovement
from logistics.label_views import labels_url
from logistics.models import Sender, Waybill
from orders.desk.views import pick_list_url
from orders.models import Order, Parcel
from orders.services import void_parcel
from tests.factories import ItemFactory, OrderFactory
from tests.logistics.conftest import run_action

SCAN = reverse("admin:orders_order_scan")


@pytest.fixture
def on_scan(sender):
    Sender.objects.filter(pk=sender.pk).update(ship_mode=Sender.ShipMode.ON_SCAN)
    return sender


def stock_of(item):
    return InventoryItem.objects.get(pk=item.pk).stock


def test_the_waybill_numbers_the_parcel_printing_marks_it_and_the_scan_ships_it(
    courier, on_scan, clerk, clerk_client, ledger_is_consistent
):
    item = ItemFactory(initial_stock=5, sku="CUP-500")
    order = OrderFactory(item=item, quantity=2)
    _response, shown = run_action(clerk, [order])
    parcel = Parcel.objects.get(lines__line__order=order)
    assert shown == [
        f"订单 {order.order_no} 已取号 {parcel.tracking_number}，打印面单、打包后在扫码发货页扫描面单发货。"
    ]
    assert (parcel.status, stock_of(item), Order.objects.get(pk=order.pk).status) == ("numbered", 5, "pending")

    changelist = clerk_client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert "打印未打印面单（1）" in changelist and "badge-waiting" in changelist
    waiting = clerk_client.get(reverse("admin:orders_order_changelist"), {"parcel_stage": "waiting"})
    assert list(waiting.context["cl"].result_list) == [order]
    printed = clerk_client.get(reverse("admin:orders_order_changelist"), {"parcel_stage": "printed"})
    assert list(printed.context["cl"].result_list) == []
    page = clerk_client.get(labels_url(unprinted=True)).content.decode()
    assert page.count('class="label"') == 1 and f'data-number="{parcel.tracking_number}"' in page
    assert "本批拣货单" in page
    waybill = Waybill.objects.get(parcel=parcel)
    clerk_client.post(reverse("admin:orders_order_labels_printed"), {"waybills": str(waybill.pk)})
    parcel.refresh_from_db()
    assert (parcel.status, Waybill.objects.get(pk=waybill.pk).print_count) == ("printed", 1)
    assert "没有待打印的面单" in clerk_client.get(labels_url(unprinted=True)).content.decode()

    response = clerk_client.post(SCAN, {"code": parcel.tracking_number, "current": ""}, follow=True)
    assert f"已发货：订单 {order.order_no}" in response.content.decode()
    parcel.refresh_from_db()
    assert (parcel.status, parcel.shipped_by, stock_of(item)) == ("shipped", clerk, 3)
    assert Order.objects.get(pk=order.pk).status == "shipped"
    assert StockMovement.objects.filter(parcel=parcel, reason=StockMovement.Reason.SHIP).count() == 1
    ledger_is_consistent()


def test_the_wave_pick_list_covers_the_waiting_parcels(courier, on_scan, clerk, clerk_client):
    item = ItemFactory(initial_stock=5, sku="LAMP-LED", location="B-02")
    order = OrderFactory(item=item, quantity=3)
    run_action(clerk, [order])
    page = clerk_client.get(labels_url(unprinted=True)).content.decode()
    pick_url = pick_list_url([order.pk])
    assert f'href="{escape(pick_url)}"' in page
    pick = clerk_client.get(pick_url).content.decode()
    assert "LAMP-LED" in pick and "B-02" in pick and order.order_no in pick


def test_labels_come_in_the_pick_lists_walking_order(courier, on_scan, clerk, clerk_client):
    back, front = ItemFactory(initial_stock=5, location="Z-09"), ItemFactory(initial_stock=5, location="A-01")
    older, newer = OrderFactory(item=back), OrderFactory(item=front)
    run_action(clerk, [older, newer])
    page = clerk_client.get(labels_url(unprinted=True)).content.decode()
    numbers = [Parcel.objects.get(lines__line__order=o).tracking_number for o in (newer, older)]
    assert page.index(f'data-number="{numbers[0]}"') < page.index(f'data-number="{numbers[1]}"')


def test_voiding_a_waiting_parcel_cancels_its_waybill_and_moves_no_stock(
    courier, on_scan, clerk, django_capture_on_commit_callbacks, ledger_is_consistent
):
    item = ItemFactory(initial_stock=5)
    order = OrderFactory(item=item)
    run_action(clerk, [order])
    parcel = Parcel.objects.get(lines__line__order=order)
    with django_capture_on_commit_callbacks(execute=True):
        void_parcel(parcel, user=clerk)
    assert courier.cancelled == {parcel.tracking_number}
    assert Waybill.objects.get(parcel=parcel).state == Waybill.State.CANCELLED
    assert stock_of(item) == 5 and not StockMovement.objects.filter(reason=StockMovement.Reason.RESTOCK).exists()
    ledger_is_consistent()


def test_the_default_mode_still_ships_at_once(courier, sender, clerk):
    item = ItemFactory(initial_stock=5)
    order = OrderFactory(item=item)
    _response, shown = run_action(clerk, [order])
    parcel = Parcel.objects.get(lines__line__order=order)
    assert shown == [f"订单 {order.order_no} 已发货，快递单号 {parcel.tracking_number}。"]
    assert (parcel.status, stock_of(item)) == ("shipped", 4)
