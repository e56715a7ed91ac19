import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.timeline import carrier_timeline, item_timeline, order_timeline
from inventory.models import StockMovement
from inventory.services import adjust_stock
from orders import services
from orders.models import Order
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db


def titles(entries):
    return [entry.title for entry in entries]


def test_history_records_the_acting_user_of_a_service_call(ops_user):
    order = OrderFactory()
    services.ship_order(order, carrier("SF"), sf_number(1), user=ops_user)
    record = order.history.latest()
    assert (record.status, record.history_user, record.tracking_number) == ("shipped", ops_user, sf_number(1))


def test_order_timeline_tells_the_shipping_story_newest_first(ops_user, manager_user):
    order = OrderFactory()
    services.ship_order(order, carrier("SF"), sf_number(1), user=ops_user)
    services.undo_shipment(order, user=manager_user)
    order.tracking_number = sf_number(2)
    services.ship_order(order, carrier("SF"), sf_number(2), user=ops_user)
    services.cancel_order(order, user=manager_user)

    entries = order_timeline(order)

    assert titles(entries) == ["取消订单", "已发货", "撤销发货，改回待发货", "已发货", "创建订单"]
    cancelled, reshipped, undone, shipped, created = entries
    assert shipped.who == "ops" and undone.who == "manager" and created.who == "系统"
    assert shipped.details == [f"快递公司：顺丰速运，快递单号：{sf_number(1)}"]
    assert reshipped.details == [f"快递公司：顺丰速运，快递单号：{sf_number(2)}"]
    assert cancelled.details == ["已发货的库存已退回"]


def test_edits_list_each_changed_field_and_empty_saves_are_left_out(ops_user):
    order = OrderFactory()
    order.receiver_name, order.address = "李四", "北京市朝阳区建国路 1 号"
    services.save_order(order, user=ops_user)
    services.save_order(order, user=ops_user)  # nothing changed

    edit = order_timeline(order)[0]

    assert edit.title == "修改订单"
    assert edit.details == ["收货人：张三 → 李四", "地址：上海市浦东新区张杨路 100 号 → 北京市朝阳区建国路 1 号"]
    assert len(order_timeline(order)) == 2


def test_item_timeline_merges_edits_with_the_ledger(manager_user):
    item = ItemFactory(initial_stock=10)
    adjust_stock(item, -2, StockMovement.Reason.ADJUST, user=manager_user, note="破损")
    item.name = "新名字"
    item._history_user = manager_user
    item.save()

    entries = item_timeline(item)

    assert titles(entries)[:2] == ["修改", "人工调整 -2 件"]
    assert entries[0].details == [f"产品名：{entries[-1].details[1].split('：')[1]} → 新名字"]
    adjusted = entries[1]
    assert (adjusted.who, adjusted.details) == ("manager", ["变动后库存：8", "备注：破损"])
    assert "采购入库 +10 件" in titles(entries)
    assert titles(entries)[-1] == "新增商品"


def test_item_timeline_leaves_order_movements_to_the_orders(clerk):
    order = OrderFactory()
    services.ship_order(order, carrier("SF"), sf_number(1), user=clerk)
    assert titles(item_timeline(order.item)) == ["采购入库 +100 件", "新增商品"]


def test_carrier_timeline_shows_field_diffs(clerk_client):
    sf = carrier("SF")
    data = {
        "name": "顺丰",
        "code": "SF",
        "tracking_url_template": sf.tracking_url_template,
        "tracking_number_pattern": sf.tracking_number_pattern,
        "is_active": "on",
        "sort_order": sf.sort_order,
    }
    assert clerk_client.post(reverse("admin:orders_carrier_change", args=[sf.pk]), data).status_code == 302
    change = carrier_timeline(sf)[0]
    assert (change.title, change.who, change.details) == ("修改", "clerk", ["名称：顺丰速运 → 顺丰"])


def test_order_page_shows_the_timeline_with_who_shipped(ops_client, ops_user):
    order = OrderFactory()
    services.ship_order(order, carrier("SF"), sf_number(3), user=ops_user)

    for view in ("change", "history"):
        response = ops_client.get(reverse(f"admin:orders_order_{view}", args=[order.pk]))
        html = response.content.decode()
        assert response.status_code == 200
        assert "操作记录" in html
        assert '<span class="timeline-title">已发货</span>' in html
        assert '<strong class="timeline-user">ops</strong>' in html
        assert sf_number(3) in html


def test_item_page_and_history_page_show_the_timeline(manager_client):
    item = ItemFactory(initial_stock=3)
    for view in ("change", "history"):
        html = manager_client.get(reverse(f"admin:inventory_inventoryitem_{view}", args=[item.pk])).content.decode()
        assert "采购入库 +3 件" in html


def test_history_page_needs_view_permission(ops_client):
    assert ops_client.get(reverse("admin:orders_carrier_history", args=[carrier("SF").pk])).status_code == 403


def test_user_text_is_escaped_in_the_timeline(clerk_client, clerk):
    order = OrderFactory()
    order.receiver_name = "<script>alert(1)</script>"
    services.save_order(order, user=clerk)
    html = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def queries(callable_):
    with CaptureQueriesContext(connection) as ctx:
        callable_()
    return len(ctx.captured_queries)


def test_timeline_queries_do_not_grow_with_history(clerk):
    short, long = OrderFactory(), OrderFactory()
    services.ship_order(short, carrier("SF"), sf_number(1), user=clerk)
    for n in range(6):
        services.ship_order(long, carrier("SF"), sf_number(10 + n), user=clerk)
        services.undo_shipment(long, user=clerk)
    assert queries(lambda: order_timeline(long)) == queries(lambda: order_timeline(short))


def test_order_list_queries_do_not_grow_with_rows_or_history(clerk_client, clerk):
    url = reverse("admin:orders_order_changelist")
    OrderFactory.create_batch(3)
    few = queries(lambda: clerk_client.get(url))
    for order in OrderFactory.create_batch(20):
        order.receiver_name = "李四"
        services.save_order(order, user=clerk)
    assert Order.history.count() == 43
    assert queries(lambda: clerk_client.get(url)) == few


def test_rows_from_before_history_start_with_a_marked_record():
    # The carriers come from a data migration that ran before history existed.
    (start,) = carrier_timeline(carrier("ZTO"))
    assert start.title == "启用操作记录时的状态"
    assert start.details[0] == "代码：ZTO"
