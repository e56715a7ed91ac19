import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.migration_ops import INITIAL_REASON
from inventory.models import StockMovement
from inventory.services import adjust_stock
from inventory.timeline import item_timeline
from orders import services
from orders.models import Order, Parcel
from orders.timeline import carrier_timeline, order_timeline
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db


def titles(entries):
    return [entry.title for entry in entries]


def save_order(order, user):
    """An edit as the order page makes it."""
    order.changed_by = user
    order.save()


def test_history_records_the_acting_user_of_a_service_call(ops_user):
    order = OrderFactory()
    services.ship_order(order, carrier("SF"), sf_number(1), user=ops_user)
    record = order.history.latest()
    assert (record.status, record.history_user) == ("shipped", ops_user)


def test_order_timeline_tells_the_split_void_and_cancel_story_newest_first(ops_user, manager_user):
    mug, cup = ItemFactory(sku="MUG-1", initial_stock=5), ItemFactory(sku="CUP-1", initial_stock=5)
    order = OrderFactory(lines=[(mug, 2), (cup, 1)])
    mug_line, cup_line = order.lines.all()
    first = services.ship_parcel([(mug_line, 2)], carrier("SF"), sf_number(1), user=ops_user)
    services.ship_parcel([(cup_line, 1)], carrier("SF"), sf_number(2), user=ops_user)
    services.void_parcel(first, user=manager_user)
    services.void_parcel(Parcel.objects.get(tracking_number=sf_number(2)), user=manager_user)
    services.cancel_order(order, user=manager_user)

    entries = order_timeline(order)

    assert titles(entries) == [
        "取消订单",
        "改回待发货",
        f"撤销包裹 顺丰速运 {sf_number(2)}",
        "部分发货",
        f"撤销包裹 顺丰速运 {sf_number(1)}",
        "已全部发货",
        f"已发货 包裹 顺丰速运 {sf_number(2)}",
        "部分发货",
        f"已发货 包裹 顺丰速运 {sf_number(1)}",
        "创建订单",
    ]
    by_title = {entry.title: entry for entry in entries}
    shipped = by_title[f"已发货 包裹 顺丰速运 {sf_number(1)}"]
    voided = by_title[f"撤销包裹 顺丰速运 {sf_number(1)}"]
    assert (shipped.who, shipped.details) == ("ops", ["MUG-1 × 2"])
    assert (voided.who, voided.details) == ("manager", ["MUG-1 × 2", "库存已退回"])
    assert entries[-1].who == "系统"


def test_a_merged_parcel_names_the_other_order(ops_user):
    first, second = OrderFactory(order_no="MA"), OrderFactory(order_no="MB")
    services.ship_orders([(first, carrier("SF"), sf_number(3)), (second, carrier("SF"), sf_number(3))])

    shipped = next(e for e in order_timeline(first) if e.title.startswith("已发货 包裹"))

    assert "（订单 MB）" in shipped.details[0]


def test_edits_list_each_changed_field_and_empty_saves_are_left_out(ops_user):
    order = OrderFactory()
    order.receiver_name, order.address = "李四", "北京市朝阳区建国路 1 号"
    save_order(order, ops_user)
    save_order(order, ops_user)  # nothing changed

    edit = order_timeline(order)[0]

    assert edit.title == "修改订单"
    assert edit.details == ["收货人：张三 → 李四", "地址：上海市浦东新区张杨路 100 号 → 北京市朝阳区建国路 1 号"]
    assert len(order_timeline(order)) == 2


def test_old_history_rows_show_what_the_migration_kept_and_initial_rows_keep_their_title():
    order = OrderFactory()
    record = order.history.get()
    record.history_change_reason = f"{INITIAL_REASON} [旧] SKU-OLD × 2；顺丰速运 {sf_number(4)}"
    record.save()

    (created,) = order_timeline(order)

    assert created.title == "启用操作记录时的状态"
    assert created.details[-1] == f"[旧] SKU-OLD × 2；顺丰速运 {sf_number(4)}"


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
    assert titles(item_timeline(order.lines.get().item)) == ["采购入库 +100 件", "新增商品"]


def test_carrier_timeline_shows_field_diffs(clerk_client):
    sf = carrier("SF")
    data = {
        "name": "顺丰",
        "code": "SF",
        "tracking_url_template": sf.tracking_url_template,
        "tracking_number_pattern": sf.tracking_number_pattern,
        "tracking_number_hint": sf.tracking_number_hint,
        "kuaidi100_code": sf.kuaidi100_code,
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
        assert f'<span class="timeline-title">已发货 包裹 顺丰速运 {sf_number(3)}</span>' in html
        assert '<strong class="timeline-user">ops</strong>' in html
        assert sf_number(3) in html


def test_item_page_and_history_page_show_the_timeline(manager_client):
    item = ItemFactory(initial_stock=3)
    for view in ("change", "history"):
        html = manager_client.get(reverse(f"admin:inventory_inventoryitem_{view}", args=[item.pk])).content.decode()
        assert "采购入库 +3 件" in html


def test_history_page_needs_view_permission(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x", is_staff=True))
    assert client.get(reverse("admin:orders_carrier_history", args=[carrier("SF").pk])).status_code == 403


def test_user_text_is_escaped_in_the_timeline(clerk_client, clerk):
    order = OrderFactory()
    order.receiver_name = "<script>alert(1)</script>"
    save_order(order, clerk)
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
        services.void_parcel(services.ship_order(long, carrier("SF"), sf_number(10 + n), user=clerk), user=clerk)
    assert queries(lambda: order_timeline(long)) == queries(lambda: order_timeline(short))


def test_order_list_queries_do_not_grow_with_rows_or_history(clerk_client, clerk):
    url = reverse("admin:orders_order_changelist")
    OrderFactory.create_batch(3)
    few = queries(lambda: clerk_client.get(url))
    for order in OrderFactory.create_batch(20):
        order.receiver_name = "李四"
        save_order(order, clerk)
    assert Order.history.count() == 43
    assert queries(lambda: clerk_client.get(url)) == few


def test_rows_from_before_history_start_with_a_marked_record():
    # The carriers come from a data migration that ran before history existed.
    formats, start = carrier_timeline(carrier("ZTO"))
    assert start.title == "启用操作记录时的状态"
    assert start.details[0] == "代码：ZTO"
    # The number formats of carrier-numbers.md came later, by another migration, on the record too.
    assert formats.title == "修改"
    assert set(formats.details) >= {
        r"单号格式（正则）：7\d{13} → 7\d{13}|(?:719|765|768|778|779)\d{9}",
        f"单号格式说明：（空） → {carrier('ZTO').tracking_number_hint}",
    }
