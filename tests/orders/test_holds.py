"""审单 holds (issue 19): hold and release, the rules that hold new orders, the time hold that ends
by itself, and the admin's queue, badge, actions, dashboard card and timeline."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import MANAGERS, OPS
from orders import selectors, services
from orders.desk.scan import next_open_order
from orders.models import HoldRules, Order, OrderHold, OrderLine
from orders.reports.dashboard import dashboard_figures
from orders.timeline import order_timeline
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.importing import xlsx_bytes
from tests.orders.test_admin_list import needs_mysql, run_together
from tests.role_fixtures import staff_in

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:orders_order_changelist")
REASON = OrderHold.Reason


def is_held(order):
    return order.pk in services.active_holds([order.pk])


@pytest.fixture
def ops(django_user_model):
    return staff_in(django_user_model, "ops", OPS)


@pytest.fixture
def ops_page(client, ops):
    client.force_login(ops)
    return client


@pytest.fixture
def manager_page(client, django_user_model):
    client.force_login(staff_in(django_user_model, "manager", MANAGERS))
    return client


def set_rules(**values):
    HoldRules.objects.update_or_create(pk=1, defaults=values)


def new_order(order_no, *, note="", quantity=1, created_at=None, user=None):
    """One order through services.create_orders, the door every creating path uses."""
    order = Order(
        order_no=order_no,
        receiver_name="王五",
        receiver_phone="13700137000",
        address="北京市朝阳区 1 号",
        note=note,
        created_at=created_at or timezone.now(),
    )
    line = OrderLine(item=ItemFactory(initial_stock=100), quantity=quantity)
    (order,) = services.create_orders([(order, [line])], user=user)
    return order


# --- services ----------------------------------------------------------------------------------


def test_hold_then_release_keeps_who_and_why(clerk):
    order = OrderFactory(order_no="S1")
    hold = services.hold_order(order, REASON.ADDRESS, note=" 缺门牌号 ", user=clerk)
    assert is_held(order) and (hold.reason, hold.note, hold.created_by, hold.by_rule) == (
        "address",
        "缺门牌号",
        clerk,
        False,
    )

    services.release_hold(hold, user=clerk)

    hold.refresh_from_db()
    assert not is_held(order) and hold.released_by == clerk and hold.released_at is not None
    assert OrderHold.objects.count() == 1  # the record stays


def test_releasing_twice_is_refused_and_changes_nothing(clerk):
    order = OrderFactory(order_no="S2")
    hold = services.hold_order(order, REASON.MANUAL, user=clerk)
    services.release_hold(hold, user=clerk)
    released_at = OrderHold.objects.get().released_at

    with pytest.raises(services.ShipmentRefused) as refused:
        services.release_hold(hold, user=None)
    assert services.error_messages(refused.value) == ["订单 S2 的挂起（手工）已经解除，无需重复解除。"]
    with pytest.raises(services.ShipmentRefused, match="订单 S2 没有挂起，无需解除。"):
        services.release_holds(order)
    assert OrderHold.objects.get().released_at == released_at


def test_holding_twice_for_one_reason_or_a_shipped_order_is_refused(clerk):
    order = OrderFactory(order_no="S3")
    services.hold_order(order, REASON.BUYER_MESSAGE, user=clerk)
    with pytest.raises(services.ShipmentRefused, match="订单 S3 已因“买家留言”挂起，无需重复挂起。"):
        services.hold_order(order, REASON.BUYER_MESSAGE, user=clerk)
    services.hold_order(order, REASON.OUT_OF_STOCK, user=clerk)  # another reason is another hold
    assert len(services.active_holds([order.pk])[order.pk]) == 2

    shipped = OrderFactory(order_no="S4")
    services.ship_order(shipped, carrier("SF"), sf_number(1))
    with pytest.raises(services.ShipmentRefused, match="订单 S4 当前为“已发货”，不能挂起。"):
        services.hold_order(shipped, REASON.MANUAL)


def test_an_order_with_two_holds_ships_only_when_both_are_released(clerk):
    order = OrderFactory(order_no="S5")
    first = services.hold_order(order, REASON.ADDRESS, user=clerk)
    services.hold_order(order, REASON.OUT_OF_STOCK, note="等补货", user=clerk)
    services.release_hold(first, user=clerk)
    with pytest.raises(services.ShipmentRefused, match=r"订单 S5 已挂起（缺货：等补货）"):
        services.ship_order(order, carrier("SF"), sf_number(1))
    services.release_holds(order, user=clerk)
    services.ship_order(order, carrier("SF"), sf_number(1))


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clerks_releasing_one_hold_at_once_release_it_once(django_user_model):
    needs_mysql()
    users = [django_user_model.objects.create_user(f"r{n}", f"r{n}@example.com", "pw-123456") for n in range(2)]
    order = OrderFactory(order_no="RACE-H")
    hold = services.hold_order(order, REASON.MANUAL)

    def release(user):
        try:
            services.release_hold(hold, user=user)
        except services.ShipmentRefused as exc:
            return services.error_messages(exc)
        return "released"

    results = run_together([lambda u=u: release(u) for u in users])

    refused = ["订单 RACE-H 的挂起（手工）已经解除，无需重复解除。"]
    assert sorted(map(str, results)) == sorted(["released", str(refused)])
    hold.refresh_from_db()
    assert hold.released_by in users


# --- rules -------------------------------------------------------------------------------------


def test_no_rules_hold_nothing():
    order = new_order("R0", note="请尽快发货", quantity=50)
    assert not is_held(order)


def test_rules_fire_when_orders_are_created():
    set_rules(hold_buyer_message=True, max_pieces=5, wait_minutes=0)

    message = new_order("R1", note="  请用顺丰  ")
    large = new_order("R2", quantity=6)
    limit = new_order("R3", quantity=5)
    blank = new_order("R4", note="   ")

    assert [(h.reason, h.note, h.by_rule) for h in services.active_holds([message.pk])[message.pk]] == [
        ("buyer_message", "请用顺丰", True)
    ]
    assert [(h.reason, h.note) for h in services.active_holds([large.pk])[large.pk]] == [
        ("large_order", "共 6 件，超过 5 件")
    ]
    assert not is_held(limit) and not is_held(blank)
    with pytest.raises(services.ShipmentRefused, match="订单 R2 已挂起（件数超限：共 6 件，超过 5 件）"):
        services.ship_order(large, carrier("SF"), sf_number(1))


def test_the_wait_rule_holds_until_n_minutes_after_the_order_time_then_lets_go_by_itself():
    set_rules(wait_minutes=30)
    now = timezone.now()
    fresh = new_order("W1", created_at=now - timedelta(minutes=10))
    old = new_order("W2", created_at=now - timedelta(minutes=31))  # an import of an old order waited already

    (hold,) = services.active_holds([fresh.pk])[fresh.pk]
    assert hold.reason == "waiting" and hold.until == fresh.created_at + timedelta(minutes=30)
    assert not is_held(old)
    # The boundary: held up to the last instant before `until`, free from `until` on, with no job run.
    assert fresh.pk in services.active_holds([fresh.pk], now=hold.until - timedelta(microseconds=1))
    assert fresh.pk not in services.active_holds([fresh.pk], now=hold.until)
    with pytest.raises(services.ShipmentRefused, match="订单 W1 已挂起（下单后等待：下单后等待 30 分钟，"):
        services.ship_order(fresh, carrier("SF"), sf_number(1))

    # Time passes (the hold's end moves into the past): the same order now ships.
    OrderHold.objects.filter(pk=hold.pk).update(until=timezone.now() - timedelta(seconds=1))
    services.ship_order(fresh, carrier("SF"), sf_number(1))


def test_rule_boundary_at_exactly_n_minutes_holds_nothing():
    rules = HoldRules(wait_minutes=30)
    now = timezone.now()
    at_boundary = Order(order_no="B1", note="", created_at=now - timedelta(minutes=30))
    just_inside = Order(order_no="B2", note="", created_at=now - timedelta(minutes=30) + timedelta(microseconds=1))
    holds = services.rule_holds([(at_boundary, []), (just_inside, [])], rules, now)
    assert [hold.order.order_no for hold in holds] == ["B2"]


def test_the_add_page_goes_through_create_orders_so_rules_hold_it(clerk_client, clerk):
    set_rules(hold_buyer_message=True)
    item = ItemFactory(initial_stock=4)
    data = {
        "order_no": "ADD-1",
        "shop": selectors.default_shop().pk,
        "customer_id": "",
        "created_at_0": "2026-11-20",
        "created_at_1": "10:00:00",
        "note": "周末不在家",
        "receiver_name": "赵六",
        "receiver_phone": "13900000000",
        "address": "杭州市西湖区 1 号",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-item": item.pk,
        "lines-0-quantity": "2",
        "lines-0-sub_order_no": "",
        "stock_movements-TOTAL_FORMS": "0",
        "stock_movements-INITIAL_FORMS": "0",
    }
    response = clerk_client.post(reverse("admin:orders_order_add"), data)
    assert response.status_code == 302
    order = Order.objects.get(order_no="ADD-1")
    assert [(line.item, line.quantity) for line in order.lines.all()] == [(item, 2)]
    assert [h.reason for h in services.active_holds([order.pk])[order.pk]] == ["buyer_message"]
    assert order.history.get().history_user == clerk  # one creation record, by the clerk


def test_the_order_import_goes_through_create_orders_so_rules_hold_it(clerk_client):
    set_rules(max_pieces=2)
    ItemFactory(sku="SKU-H")
    rows = [
        ["订单号", "用户ID", "SKU", "数量", "收货人", "电话", "地址"],
        ["IMP-1", "U1", "SKU-H", 3, "王五", "13700000000", "杭州市西湖区 1 号"],
        ["IMP-2", "U2", "SKU-H", 2, "赵六", "13700000001", "杭州市西湖区 2 号"],
    ]
    file = SimpleUploadedFile("orders.xlsx", xlsx_bytes(rows))
    preview = clerk_client.post(
        reverse("admin:orders_order_import"), {"resource": "1", "format": "0", "import_file": file}
    )
    clerk_client.post(reverse("admin:orders_order_process_import"), preview.context["confirm_form"].initial)
    large, small = Order.objects.get(order_no="IMP-1"), Order.objects.get(order_no="IMP-2")
    assert [h.note for h in services.active_holds([large.pk])[large.pk]] == ["共 3 件，超过 2 件"]
    assert not is_held(small)


def test_the_rules_page_saves_the_one_row(clerk_client):
    url = reverse("admin:orders_holdrules_change", args=[1])
    assert clerk_client.get(reverse("admin:orders_holdrules_changelist")).url == url
    page = clerk_client.get(url).content.decode()
    assert "有买家留言时挂起" in page and "下单后等待（分钟）" in page
    response = clerk_client.post(url, {"hold_buyer_message": "on", "max_pieces": "10", "wait_minutes": "15"})
    assert response.status_code == 302
    rules = HoldRules.current()
    assert (rules.pk, rules.hold_buyer_message, rules.max_pieces, rules.wait_minutes) == (1, True, 10, 15)


# --- admin -------------------------------------------------------------------------------------


def test_the_held_queue_shows_only_held_orders_with_a_badge(clerk_client, clerk):
    held = OrderFactory(order_no="Q1")
    OrderFactory(order_no="Q2")
    services.hold_order(held, REASON.ADDRESS, note="缺门牌号", user=clerk)

    response = clerk_client.get(LIST_URL, {"hold": "held"})
    assert [o.order_no for o in response.context["cl"].result_list] == ["Q1"]
    html = response.content.decode()
    assert '<span class="badge badge-held" title="地址异常：缺门牌号">挂起：地址异常</span>' in html
    assert "异常/挂起" in html
    free = clerk_client.get(LIST_URL, {"hold": "free"}).context["cl"].result_list
    assert [o.order_no for o in free] == ["Q2"]


def test_list_queries_do_not_grow_with_held_rows(clerk_client, clerk):
    def count(params):
        with CaptureQueriesContext(connection) as queries:
            assert clerk_client.get(LIST_URL, params).status_code == 200
        return len(queries)

    for n in range(3):
        services.hold_order(OrderFactory(), REASON.MANUAL, note=f"第{n}单", user=clerk)
    few = [count({}), count({"hold": "held"})]
    for n in range(30):
        order = OrderFactory()
        services.hold_order(order, REASON.ADDRESS, user=clerk)
        if n % 2:
            services.hold_order(order, REASON.OUT_OF_STOCK, user=clerk)
    assert [count({}), count({"hold": "held"})] == few


def post_action(client, action, orders, **data):
    return client.post(LIST_URL, {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in orders], **data}, follow=True)


def test_hold_action_asks_a_reason_then_holds_each_order(ops_page, ops):
    a, b = OrderFactory(order_no="A1"), OrderFactory(order_no="A2")
    page = post_action(ops_page, "hold_orders", [a, b])
    html = page.content.decode()
    assert "挂起原因" in html and "买家留言" in html and "地址异常" in html and "缺货" in html and "手工" in html
    assert not OrderHold.objects.exists()

    done = post_action(ops_page, "hold_orders", [a, b], post="yes", reason="out_of_stock", note="等补货")

    assert [str(m) for m in done.context["messages"]] == ["已挂起订单 A1、A2（缺货）。"]
    assert {(h.order.order_no, h.reason, h.note, h.created_by) for h in OrderHold.objects.all()} == {
        ("A1", "out_of_stock", "等补货", ops),
        ("A2", "out_of_stock", "等补货", ops),
    }


def test_release_action_confirms_then_releases(ops_page, ops):
    a = OrderFactory(order_no="A3")
    services.hold_order(a, REASON.BUYER_MESSAGE, note="改地址")
    page = post_action(ops_page, "release_holds", [a]).content.decode()
    assert "确定要解除所选 1 个订单的全部挂起吗" in page and "买家留言：改地址" in page and is_held(a)

    done = post_action(ops_page, "release_holds", [a], post="yes")

    assert [str(m) for m in done.context["messages"]] == ["已解除订单 A3 的挂起，现在可以发货了。"]
    assert not is_held(a) and OrderHold.objects.get().released_by == ops


def test_hold_and_release_from_the_order_page(ops_page, ops):
    order = OrderFactory(order_no="P1")
    change = reverse("admin:orders_order_change", args=[order.pk])
    assert "挂起订单" in ops_page.get(change).content.decode()

    response = ops_page.post(
        reverse("admin:orders_order_hold", args=[order.pk]), {"reason": "address", "note": "电话空号"}
    )
    assert response.status_code == 302 and is_held(order)
    html = ops_page.get(change).content.decode()
    assert "地址异常：电话空号" in html and "挂起中，不能发货" in html and "挂起：地址异常" in html

    hold = OrderHold.objects.get()
    release = reverse("admin:orders_order_release", args=[order.pk, hold.pk])
    assert "确定要解除订单 P1 的这条挂起吗" in ops_page.get(release).content.decode()
    response = ops_page.post(release, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "已解除订单 P1 的挂起（地址异常：电话空号），现在可以发货了。"
    ]
    assert not is_held(order)


def test_managers_may_not_hold_or_release(manager_page):
    order = OrderFactory()
    assert manager_page.get(reverse("admin:orders_order_hold", args=[order.pk])).status_code == 403
    actions = manager_page.get(LIST_URL).context["action_form"].fields["action"].choices
    assert not {"hold_orders", "release_holds"} & {name for name, _label in actions}


def test_dashboard_counts_open_held_orders(clerk_client, clerk):
    held, released, cancelled = OrderFactory(), OrderFactory(), OrderFactory()
    services.hold_order(held, REASON.MANUAL, user=clerk)
    services.release_hold(services.hold_order(released, REASON.MANUAL), user=clerk)
    services.hold_order(cancelled, REASON.MANUAL)
    services.cancel_order(cancelled)
    expired = OrderFactory()
    OrderHold.objects.create(order=expired, reason=REASON.WAITING, until=timezone.now() - timedelta(seconds=1))

    assert dashboard_figures().held == 1
    html = clerk_client.get(reverse("admin:index")).content.decode()
    assert "异常/挂起" in html and f'href="{LIST_URL}?hold=held"' in html


def test_scan_desk_next_order_skips_held_orders(clerk):
    older = OrderFactory(created_at=timezone.now() - timedelta(hours=2))
    newer = OrderFactory(created_at=timezone.now() - timedelta(hours=1))
    services.hold_order(older, REASON.MANUAL, user=clerk)
    assert next_open_order() == newer
    services.release_holds(older, user=clerk)
    assert next_open_order() == older


def test_timeline_tells_who_held_and_who_released(clerk):
    order = OrderFactory()
    hold = services.hold_order(order, REASON.ADDRESS, note="缺门牌号", user=clerk)
    services.release_hold(hold, user=clerk)
    titles = [(entry.title, entry.who, entry.details) for entry in order_timeline(order)]
    assert ("挂起（地址异常）", "clerk", ["缺门牌号"]) in titles
    assert ("解除挂起（地址异常）", "clerk", []) in titles
