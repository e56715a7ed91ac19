"""The order list and its actions: ship a row, merge two rows, undo and cancel with a confirmation."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import InventoryItem, StockMovement
from orders import services
from orders.models import Order, Parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db
LIST_URL = reverse("admin:orders_order_changelist")


def changelist_post(client, rows, url=LIST_URL):
    """POST the list page's rows as the browser does; `rows` maps order -> field overrides."""
    formset = client.get(url).context["cl"].formset
    data = {f"form-{key}": value for key, value in formset.management_form.initial.items()}
    for index, form in enumerate(formset.forms):
        fields = {"id": form.instance.pk, "carrier": "", "tracking_number": "", "version": form["version"].value()}
        fields.update(rows.get(form.instance, {}))
        data.update({f"form-{index}-{name}": value for name, value in fields.items()})
    data["_save"] = "保存"
    return client.post(url, data)


def stock(item):
    return InventoryItem.objects.get(pk=item.pk).stock


def row_errors(response):
    return {form.instance.order_no: form.non_field_errors() for form in response.context["cl"].formset.forms}


def test_list_lands_on_unshipped_oldest_first_with_lines_and_chinese_columns(clerk_client):
    pictured = ItemFactory(sku="CUP-1", initial_stock=5, image="items/cup.png")
    pending = OrderFactory(item=pictured, quantity=2)
    partial = OrderFactory(lines=[(ItemFactory(initial_stock=5), 1), (ItemFactory(initial_stock=5), 1)])
    services.ship_parcel([(partial.lines.first(), 1)], carrier("SF"), sf_number(1))
    shipped = OrderFactory()
    services.ship_order(shipped, carrier("SF"), sf_number(2))

    response = clerk_client.get(LIST_URL)

    html = response.content.decode()
    assert list(response.context["cl"].result_list) == [pending, partial]
    headers = ["订单号", "商品", "收货人", "电话", "地址", "发货状态", "快递公司", "快递单号", "下单时间 / 承诺发货"]
    for header in headers:
        assert f">{header}<" in html
    assert 'src="/media/items/cup.png"' in html and "CUP-1 × 2" in html
    assert 'class="status-badge status-partial">部分发货<' in html
    # The partly shipped row shows its parcel's link and still offers the inputs that ship the rest.
    assert f"nu={sf_number(1)}" in html and 'name="form-1-tracking_number"' in html
    assert "138****8000" in html and "13800138000" not in html
    assert f'class="copy-btn" data-copy-url="/admin/orders/order/{pending.pk}/receiver/"' in html


def test_three_lines_show_one_thumbnail_and_the_totals_with_the_full_list_in_the_title(clerk_client):
    items = [ItemFactory(sku=f"MULTI-{n}", initial_stock=10) for n in range(3)]
    OrderFactory(lines=[(items[0], 1), (items[1], 2), (items[2], 3)])

    html = clerk_client.get(LIST_URL).content.decode()

    (cell,) = re.findall(r'<td class="field-order_lines">(.*?)</td>', html, re.S)
    title = re.search(r'class="order-lines" title="([^"]*)"', cell).group(1)
    assert "MULTI-0 等，共 3 种 6 件" in cell and cell.count("<img") == 1
    assert "MULTI-2 × 3" not in cell.replace(title, "")  # the full list is in the title only
    assert "MULTI-1 测试商品" in title and "× 2" in title and "MULTI-2 测试商品" in title


def test_pending_orders_of_one_receiver_are_flagged_as_mergeable(clerk_client):
    OrderFactory(order_no="M1"), OrderFactory(order_no="M2", address="上海市浦东新区张杨路  100 号")
    OrderFactory(order_no="LONE", receiver_name="王五")

    response = clerk_client.get(LIST_URL)

    flagged = {order.order_no for order in response.context["cl"].result_list if order.could_merge}
    assert flagged == {"M1", "M2"}
    assert response.content.decode().count(">可合并<") == 2


def test_search_finds_an_order_by_any_of_its_parcels_numbers_once(clerk_client):
    order = OrderFactory(lines=[(ItemFactory(initial_stock=5), 1), (ItemFactory(initial_stock=5), 1)])
    first, second = order.lines.all()
    services.ship_parcel([(first, 1)], carrier("SF"), sf_number(3))
    services.ship_parcel([(second, 1)], carrier("SF"), sf_number(33))

    response = clerk_client.get(LIST_URL, {"q": sf_number(3)[:10].lower()})

    assert list(response.context["cl"].result_list) == [order]


def test_status_filter_offers_each_status_and_defaults_to_pending_and_partial(clerk_client):
    pending, partial, done = (
        OrderFactory(),
        OrderFactory(lines=[(ItemFactory(initial_stock=5), 2)]),
        OrderFactory(),
    )
    services.ship_parcel([(partial.lines.get(), 1)], carrier("SF"), sf_number(4))
    services.ship_order(done, carrier("SF"), sf_number(5))

    def shown(status):
        return list(clerk_client.get(LIST_URL, {"ship_status": status}).context["cl"].result_list)

    assert shown("partial") == [partial] and shown("pending") == [pending] and shown("shipped") == [done]
    html = clerk_client.get(LIST_URL).content.decode()
    for title in ["未发货", "待发货", "部分发货", "已发货", "已取消"]:
        assert f">{title}</a>" in html


def test_a_row_ships_the_whole_order_in_one_parcel(clerk_client, clerk, ledger_is_consistent):
    mug, cup = ItemFactory(initial_stock=5), ItemFactory(initial_stock=5)
    order = OrderFactory(lines=[(mug, 2), (cup, 1)])

    response = changelist_post(clerk_client, {order: {"carrier": carrier("SF").pk, "tracking_number": sf_number(6)}})

    assert response.status_code == 302
    order.refresh_from_db()
    parcel = Parcel.objects.get()
    assert (order.status, parcel.tracking_number, parcel.shipped_by) == ("shipped", sf_number(6), clerk)
    assert (stock(mug), stock(cup)) == (3, 4)
    ledger_is_consistent()


def test_a_row_ships_what_is_left_of_a_partly_shipped_order(clerk_client, ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    order = OrderFactory(item=item, quantity=3)
    services.ship_parcel([(order.lines.get(), 1)], carrier("SF"), sf_number(7))

    response = changelist_post(clerk_client, {order: {"tracking_number": sf_number(8)}})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "shipped" and stock(item) == 2
    assert sorted(Parcel.objects.values_list("tracking_number", flat=True)) == [sf_number(7), sf_number(8)]
    ledger_is_consistent()


def test_two_rows_of_one_receiver_with_one_number_become_one_parcel(clerk_client):
    a, b = OrderFactory(), OrderFactory()

    same = {"tracking_number": sf_number(9)}
    response = changelist_post(clerk_client, {a: same, b: same})

    assert response.status_code == 302
    assert Parcel.objects.count() == 1 and Parcel.objects.get().lines.count() == 2
    assert set(Order.objects.values_list("status", flat=True)) == {"shipped"}


def test_two_receivers_with_one_number_are_refused_next_to_the_row(clerk_client):
    a = OrderFactory(order_no="G001")
    b = OrderFactory(order_no="G002", receiver_name="李四")

    same = {"tracking_number": sf_number(10)}
    response = changelist_post(clerk_client, {a: same, b: same})

    assert response.status_code == 200
    errors = row_errors(response)
    assert errors["G001"] == [] and "G001" in errors["G002"][0] and "收货人不同" in errors["G002"][0]
    assert "收货人不同" in response.content.decode()
    assert not Parcel.objects.exists()


def test_wrong_tracking_number_shows_an_error_next_to_the_row_and_saves_nothing(clerk_client):
    order = OrderFactory(order_no="W1", item=ItemFactory(initial_stock=5))

    response = changelist_post(clerk_client, {order: {"carrier": carrier("SF").pk, "tracking_number": "123"}})

    assert response.status_code == 200
    assert "不符合顺丰速运的单号格式" in row_errors(response)["W1"][0]
    assert "不符合顺丰速运的单号格式" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == "pending" and not Parcel.objects.exists()


def test_typing_only_the_number_fills_the_carrier_or_asks_for_it(clerk_client):
    order = OrderFactory()
    response = changelist_post(clerk_client, {order: {"tracking_number": "4312345"}})
    assert response.status_code == 200
    assert "无法从快递单号“4312345”识别快递公司" in response.content.decode()

    response = changelist_post(clerk_client, {order: {"tracking_number": "sf0000000000042"}})
    assert response.status_code == 302
    parcel = Parcel.objects.get()
    assert (parcel.carrier.code, parcel.tracking_number) == ("SF", "SF0000000000042")


def test_not_enough_stock_across_rows_blocks_the_whole_save(clerk_client):
    item = ItemFactory(sku="MUG-9", initial_stock=3)
    first = OrderFactory(order_no="S1", item=item, quantity=2)
    second = OrderFactory(order_no="S2", item=item, quantity=2, receiver_name="李四")
    edits = {first: {"tracking_number": sf_number(11)}, second: {"tracking_number": sf_number(12)}}

    response = changelist_post(clerk_client, edits)

    assert response.status_code == 200
    errors = row_errors(response)
    assert errors["S1"] == []
    assert "MUG-9" in errors["S2"][0] and "库存不足" in errors["S2"][0]
    assert stock(item) == 3 and not StockMovement.objects.filter(reason="ship").exists()


def test_stale_row_is_refused_and_the_shipment_made_since_is_kept(clerk_client):
    order = OrderFactory(order_no="STALE1")
    page = clerk_client.get(LIST_URL).context["cl"].formset.forms[0]
    services.ship_parcel([(order.lines.get(), 1)], carrier("SF"), sf_number(13))  # another clerk, meanwhile
    data = {
        **{f"form-{key}": value for key, value in page.formset.management_form.initial.items()},
        "form-0-id": order.pk,
        "form-0-carrier": carrier("YTO").pk,
        "form-0-tracking_number": "YT0000000000001",
        "form-0-version": page["version"].value(),
        "_save": "保存",
    }

    response = clerk_client.post(LIST_URL, data, follow=True)

    assert "订单 STALE1 在你打开页面后已被修改（现在是“已发货”）" in response.content.decode()
    assert list(Parcel.objects.values_list("tracking_number", flat=True)) == [sf_number(13)]


def test_user_text_is_escaped(clerk_client):
    OrderFactory(receiver_name="<script>alert(1)</script>", item=ItemFactory(name='"><img src=x onerror=alert(2)>'))

    html = clerk_client.get(LIST_URL).content.decode()

    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def count_list_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST_URL, {"ship_status": "all", **params}).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_rows_lines_or_parcels(clerk_client):
    items = [ItemFactory(initial_stock=500) for _ in range(3)]
    for n in range(4):
        OrderFactory(lines=[(items[n % 3], 1), (items[(n + 1) % 3], 2)])
    services.ship_order(Order.objects.first(), carrier("SF"), sf_number(20))
    few = count_list_queries(clerk_client)

    for n in range(30):
        order = OrderFactory(lines=[(items[n % 3], 1), (items[(n + 1) % 3], 2), (items[(n + 2) % 3], 1)])
        if n % 3 == 0:
            services.ship_order(order, carrier("SF"), sf_number(100 + n))
        elif n % 3 == 1:
            services.ship_parcel([(order.lines.first(), 1)], carrier("SF"), sf_number(100 + n))

    assert count_list_queries(clerk_client) == few
    assert count_list_queries(clerk_client, q="张") == count_list_queries(clerk_client, q="张", p="1")


def confirm_action(client, action, orders, *, post):
    data = {"action": action, "_selected_action": [order.pk for order in orders]}
    if post:
        data["post"] = "yes"
    return client.post(LIST_URL + "?ship_status=all", data, follow=post)


def test_void_action_confirms_what_goes_back_to_stock_then_voids(clerk_client, ledger_is_consistent):
    item = ItemFactory(sku="SKU-001", initial_stock=5)
    order = OrderFactory(order_no="V1", item=item, quantity=2)
    services.ship_order(order, carrier("SF"), sf_number(21))

    page = confirm_action(clerk_client, "void_parcels", [order], post=False)

    html = page.content.decode()
    assert page.status_code == 200 and "退回库存 SKU-001 × 2" in html and "确定撤销发货" in html
    assert Order.objects.get(pk=order.pk).status == "shipped" and stock(item) == 3  # nothing yet

    response = confirm_action(clerk_client, "void_parcels", [order], post=True)

    assert "已撤销包裹 顺丰速运 " in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == "pending" and stock(item) == 5
    assert Parcel.objects.get().status == "voided"
    ledger_is_consistent()


def test_cancel_action_confirms_then_cancels_and_refuses_orders_with_live_parcels(clerk_client):
    open_order, shipped = OrderFactory(order_no="C1"), OrderFactory(order_no="C2")
    services.ship_order(shipped, carrier("SF"), sf_number(22))

    page = confirm_action(clerk_client, "cancel_orders", [open_order, shipped], post=False)

    html = page.content.decode()
    assert "库存不变" in html and f"还有未撤销的包裹：顺丰速运 {sf_number(22)}" in html
    assert Order.objects.get(pk=open_order.pk).status == "pending"

    response = confirm_action(clerk_client, "cancel_orders", [open_order, shipped], post=True)

    text = response.content.decode()
    assert "已取消订单 C1" in text and "未取消：订单 C2 还有未撤销的包裹" in text
    assert dict(Order.objects.values_list("order_no", "status")) == {"C1": "cancelled", "C2": "shipped"}


def test_the_old_bulk_mark_shipped_action_is_gone(clerk_client):
    actions = clerk_client.get(LIST_URL).context["action_form"].fields["action"].choices
    names = [name for name, _label in actions]
    assert "mark_shipped" not in names
    assert {"void_parcels", "cancel_orders"} <= set(names)


def test_a_refusal_raised_while_saving_becomes_one_message_per_problem(rf, clerk):
    from django.contrib import admin as django_admin
    from django.contrib.messages.storage.fallback import FallbackStorage

    from orders.admin import OrderAdmin

    request = rf.post(LIST_URL)
    request.user, request.session = clerk, {}
    request._messages = FallbackStorage(request)

    def refused_save(request):
        raise services.ShipmentRefused(["订单 A：问题一。", "订单 B：问题二。"])

    response = OrderAdmin(Order, django_admin.site)._with_domain_errors(refused_save, request)

    assert response.status_code == 302
    assert [str(m) for m in request._messages] == ["未保存：订单 A：问题一。", "未保存：订单 B：问题二。"]
