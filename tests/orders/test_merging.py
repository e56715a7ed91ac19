"""合并发货: the list action that ships the selected orders of one receiver as one parcel, through the
real order list: changelist → action → intermediate page → action."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from inventory.models import InventoryItem
from orders import services
from orders.models import Order, Parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.importing import db_snapshot as snapshot

pytestmark = pytest.mark.django_db


def post_action(client, orders, **data):
    return client.post(
        reverse("admin:orders_order_changelist") + "?ship_status=all",  # the list where shipped orders show too
        {"action": "merge_ship", ACTION_CHECKBOX_NAME: [o.pk for o in orders], **data},
        follow=True,
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_the_action_asks_for_the_number_then_ships_one_parcel(clerk_client, clerk, ledger_is_consistent):
    a, b = ItemFactory(initial_stock=10), ItemFactory(initial_stock=10)
    first = OrderFactory(order_no="MG1", lines=[(a, 1), (b, 2)])
    second = OrderFactory(order_no="MG2", item=a, quantity=3, address="上海市浦东新区张杨路  100 号")  # blanks differ

    page = post_action(clerk_client, [first, second])
    html = page.content.decode()
    assert page.status_code == 200 and "合并发货" in html
    assert "MG1" in html and "MG2" in html and 'name="tracking_number"' in html
    assert Parcel.objects.count() == 0

    done = post_action(clerk_client, [first, second], apply="1", carrier=carrier("SF").pk, tracking_number=sf_number(1))

    parcel = Parcel.objects.get()
    assert messages_of(done) == [f"已合并发货：订单 MG1、MG2 装入一个包裹（顺丰速运 {sf_number(1)}）。"]
    assert (parcel.tracking_number, parcel.shipped_by, parcel.lines.count()) == (sf_number(1), clerk, 3)
    assert set(Order.objects.values_list("status", flat=True)) == {"shipped"}
    assert (InventoryItem.objects.get(pk=a.pk).stock, InventoryItem.objects.get(pk=b.pk).stock) == (6, 8)
    ledger_is_consistent()


def test_orders_of_different_receivers_are_refused_naming_them(clerk_client):
    orders = [
        OrderFactory(order_no="DR1"),
        OrderFactory(order_no="DR2"),
        OrderFactory(order_no="DR3", receiver_name="李四"),
    ]
    before = snapshot()
    response = post_action(clerk_client, orders, apply="1", carrier=carrier("SF").pk, tracking_number=sf_number(1))
    assert messages_of(response) == ["不能合并发货：所选订单的收货人不同——张三（订单 DR1、DR2）；李四（订单 DR3）。"]
    assert snapshot() == before


def test_an_order_with_nothing_left_is_named_not_dropped(clerk_client, clerk):
    shipped = OrderFactory(order_no="Y0")
    services.ship_order(shipped, carrier("SF"), sf_number(2), user=clerk)
    orders = [OrderFactory(order_no="Y1"), shipped]
    before = snapshot()

    page = post_action(clerk_client, orders, apply="1", carrier=carrier("SF").pk, tracking_number=sf_number(3))

    html = page.content.decode()
    assert 'id="merge-errors"' in html and "订单 Y0 当前为“已发货”，不能发货。" in html
    assert "没有未发货的商品（已发货）" in html
    assert snapshot() == before


def test_a_number_of_another_receiver_is_refused_with_the_services_message(clerk_client, clerk):
    services.ship_order(OrderFactory(order_no="Z0", receiver_name="李四"), carrier("SF"), sf_number(1), user=clerk)
    orders = [OrderFactory(order_no="Z1"), OrderFactory(order_no="Z2")]
    before = snapshot()
    page = post_action(clerk_client, orders, apply="1", carrier=carrier("SF").pk, tracking_number=sf_number(1))
    assert services.number_in_use_message(sf_number(1), ["Z0"]) in page.content.decode()
    assert snapshot() == before


def test_a_missing_number_is_asked_again_in_chinese(clerk_client):
    orders = [OrderFactory(), OrderFactory()]
    page = post_action(clerk_client, orders, apply="1", carrier=carrier("SF").pk, tracking_number="")
    assert "该字段是必填项" in page.content.decode()  # Django's message as DRF's zh_Hans catalogue words it
    assert Parcel.objects.count() == 0


def test_one_order_is_not_a_merge(clerk_client):
    response = post_action(clerk_client, [OrderFactory()])
    assert messages_of(response) == ["合并发货需要选择同一收货人的至少两个订单。"]
