"""The order page: lines inline, parcels with 撤销此包裹, 发部分商品, stale saves refused, the add page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import InventoryItem, StockMovement
from orders import services
from orders.models import Order, Parcel, ReceiverReveal
from orders.selectors import default_shop
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db


def change_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def form_data(response, **overrides):
    """The change page's form as the browser would post it unchanged, with `overrides`."""
    context = response.context
    form = context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if name == "created_at":
            local = timezone.localtime(value)
            data["created_at_0"], data["created_at_1"] = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
        else:
            data[name] = "" if value is None else value
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()})
        for index, inline_form in enumerate(formset.forms):
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value not in (None, False):
                    data[f"{formset.prefix}-{index}-{name}"] = value
    data.update(overrides)
    return data


def stock(item):
    return InventoryItem.objects.get(pk=item.pk).stock


def three_line_order():
    items = [ItemFactory(sku=f"TRIO-{n}", initial_stock=10) for n in range(3)]
    return OrderFactory(order_no="TRIO", lines=[(items[0], 1), (items[1], 2), (items[2], 1)]), items


def test_pending_order_page_has_editable_lines_no_parcels_and_records_the_reveal(clerk_client, clerk):
    order, _items = three_line_order()

    response = clerk_client.get(change_url(order))

    html = response.content.decode()
    for title in ["订单信息", "收货信息", "订单商品", "包裹", "还没有包裹", "发部分商品", "操作记录"]:
        assert title in html
    assert 'name="lines-0-quantity"' in html and 'name="version"' in html
    assert ReceiverReveal.objects.filter(order=order, user=clerk, how="page").count() == 1


def test_ship_two_of_three_lines_from_the_order_page_then_the_third(clerk_client, clerk, ledger_is_consistent):
    order, items = three_line_order()
    first, second, third = order.lines.all()
    url = reverse("admin:orders_order_ship_part", args=[order.pk])
    page = clerk_client.get(url)
    assert page.context["form"][f"line_{second.pk}"].value() == 2  # default: what is left

    response = clerk_client.post(
        url, {f"line_{first.pk}": 1, f"line_{second.pk}": 2, f"line_{third.pk}": 0, "tracking_number": sf_number(1)}
    )

    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [f"已发出包裹 顺丰速运 {sf_number(1)}：库存已扣减 TRIO-0 × 1、TRIO-1 × 2。"]
    order.refresh_from_db()
    assert order.status == "partial" and [stock(i) for i in items] == [9, 8, 10]

    # Now the lines are read-only, the page lists the parcel and offers the rest.
    html = clerk_client.get(change_url(order)).content.decode()
    assert 'name="lines-0-quantity"' not in html and "TRIO-0 × 1、TRIO-1 × 2" in html and "撤销此包裹" in html
    form = clerk_client.get(url).context["form"]
    assert [line.pk for line, _left in form.remaining] == [third.pk]

    response = clerk_client.post(
        url, {f"line_{third.pk}": 1, "carrier": carrier("SF").pk, "tracking_number": sf_number(2)}
    )

    order.refresh_from_db()
    assert response.status_code == 302 and order.status == "shipped" and stock(items[2]) == 9
    assert Parcel.objects.filter(shipped_by=clerk).count() == 2
    ledger_is_consistent()


def test_ship_part_refusal_shows_next_to_the_line_and_ships_nothing(clerk_client):
    order, items = three_line_order()
    first = order.lines.first()
    url = reverse("admin:orders_order_ship_part", args=[order.pk])

    response = clerk_client.post(url, {f"line_{first.pk}": 5, "tracking_number": sf_number(3)})

    assert response.status_code == 200
    assert "还有 1 件未发货，不能发 5 件" in response.context["form"].errors[f"line_{first.pk}"][0]
    assert not Parcel.objects.exists() and stock(items[0]) == 10

    response = clerk_client.post(url, {f"line_{first.pk}": 1, "tracking_number": "123"})
    assert "无法从快递单号“123”识别快递公司" in response.content.decode()


def test_void_a_parcel_from_the_order_page_after_a_confirmation(clerk_client, ledger_is_consistent):
    order, items = three_line_order()
    first = order.lines.first()
    parcel = services.ship_parcel([(first, 1)], carrier("SF"), sf_number(4))
    url = reverse("admin:orders_order_void_parcel", args=[order.pk, parcel.pk])

    page = clerk_client.get(url)

    assert "退回库存：TRIO-0 × 1" in page.content.decode() and stock(items[0]) == 9

    response = clerk_client.post(url, {"post": "yes"}, follow=True)

    assert f"已撤销包裹 顺丰速运 {sf_number(4)}，库存已退回：TRIO-0 × 1。" in response.content.decode()
    assert stock(items[0]) == 10 and Order.objects.get(pk=order.pk).status == "pending"
    assert "未撤销：包裹已撤销" in clerk_client.post(url, {"post": "yes"}, follow=True).content.decode()
    assert stock(items[0]) == 10
    ledger_is_consistent()


def test_a_stale_order_page_is_refused_naming_the_change_and_the_reveal_is_recorded(clerk_client, clerk):
    order = OrderFactory(order_no="OLD1")
    page = clerk_client.get(change_url(order))
    services.ship_order(Order.objects.get(pk=order.pk), carrier("SF"), sf_number(5))  # another clerk
    ReceiverReveal.objects.all().delete()

    response = clerk_client.post(change_url(order), form_data(page, address="北京市朝阳区建国路 1 号"))

    assert response.status_code == 200
    assert "订单 OLD1 在你打开页面后已被修改（现在是“已发货”），未保存。请刷新页面后重试。" in response.content.decode()
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.address) == ("shipped", order.address)
    # The page shown again carries the full phone and address: that view is recorded too.
    assert ReceiverReveal.objects.filter(order=order, user=clerk).count() == 1


def test_a_fresh_order_page_saves_the_receiver(clerk_client):
    order = OrderFactory()

    response = clerk_client.post(
        change_url(order), form_data(clerk_client.get(change_url(order)), address="新地址 1 号")
    )

    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).address == "新地址 1 号"


def test_the_add_page_creates_an_order_with_lines_and_moves_no_stock(clerk_client):
    item = ItemFactory(initial_stock=4)
    page = clerk_client.get(reverse("admin:orders_order_add"))
    assert 'name="lines-0-item"' in page.content.decode()
    assert 'name="shop"' in page.content.decode()
    data = {
        "shop": default_shop().pk,  # the only shop, chosen on the page
        "order_no": "NEW-1",
        "customer_id": "",
        "created_at_0": "2026-11-20",
        "created_at_1": "10:00:00",
        "note": "",
        "receiver_name": "赵六",
        "receiver_phone": "13900000000",
        "address": "杭州市西湖区 1 号",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-item": item.pk,
        "lines-0-quantity": "3",
        "lines-0-sub_order_no": "SUB-1",
        "stock_movements-TOTAL_FORMS": "0",
        "stock_movements-INITIAL_FORMS": "0",
    }

    response = clerk_client.post(reverse("admin:orders_order_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    order = Order.objects.get(order_no="NEW-1")
    assert (order.status, [(line.item, line.quantity, line.sub_order_no) for line in order.lines.all()]) == (
        "pending",
        [(item, 3, "SUB-1")],
    )
    assert stock(item) == 4 and not StockMovement.objects.filter(order=order).exists()
    # No 承诺发货时间 typed: the shop's default (48 hours) after 下单时间 (10:00 Shanghai).
    assert timezone.localtime(order.ship_by).strftime("%m-%d %H:%M") == "11-22 10:00"

    data.update({"order_no": "NEW-2", "lines-TOTAL_FORMS": "0"})
    assert clerk_client.post(reverse("admin:orders_order_add"), data).status_code == 200  # an order needs a line


def test_order_page_queries_do_not_grow_with_lines_and_parcels(clerk_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def page_queries(order):
        with CaptureQueriesContext(connection) as captured:
            assert clerk_client.get(change_url(order)).status_code == 200
        return len(captured)

    small = OrderFactory()
    services.ship_order(small, carrier("SF"), sf_number(20))
    big = OrderFactory(lines=[(ItemFactory(initial_stock=10), 2) for _ in range(6)])
    for n, line in enumerate(big.lines.all()):
        parcel = services.ship_parcel([(line, 1)], carrier("SF"), sf_number(30 + n))
        if n % 2:
            services.void_parcel(parcel)

    assert page_queries(big) == page_queries(small)
