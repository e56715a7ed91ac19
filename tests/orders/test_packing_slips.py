"""发货单 (issue 18): a slip per live parcel and per order's lines still to ship, masked receivers,
barcodes that carry the numbers, and a page whose queries do not grow with the orders."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services
from orders.admin_views import packing_slips_url
from orders.barcodes import code128_svg
from orders.desk.packing_slips import packing_slips
from orders.models import Order
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db


def slips_for(*orders):
    return packing_slips(Order.objects.filter(pk__in=[order.pk for order in orders]))


def test_a_merged_parcel_is_one_slip_naming_both_orders_and_every_line(clerk):
    cup, mug = ItemFactory(sku="CUP-500", initial_stock=10), ItemFactory(sku="MUG-CER", initial_stock=10)
    first, second = OrderFactory(item=cup, quantity=2), OrderFactory(item=mug, quantity=1)
    services.ship_orders([(first, carrier("SF"), sf_number(1)), (second, carrier("SF"), sf_number(1))], user=clerk)

    (slip,) = slips_for(first)  # choosing one order of the parcel still prints the whole box
    assert slip.order_nos == [first.order_no, second.order_no]
    assert [(line.item.sku, line.quantity, line.order_no) for line in slip.lines] == [
        ("CUP-500", 2, first.order_no),
        ("MUG-CER", 1, second.order_no),
    ]
    assert slip.parcel.tracking_number == sf_number(1) and slip.pieces == 3


def test_a_split_order_gets_a_slip_per_parcel_and_one_for_what_is_left(clerk):
    a, b, c = (ItemFactory(sku=sku, initial_stock=10) for sku in ("A-1", "B-2", "C-3"))
    order = OrderFactory(lines=[(a, 1), (b, 3), (c, 1)])
    services.ship_parcel([(order.lines.get(item=a), 1)], carrier("SF"), sf_number(1), user=clerk)
    services.ship_parcel([(order.lines.get(item=b), 2)], carrier("SF"), sf_number(2), user=clerk)

    slips = slips_for(order)
    assert [
        (s.parcel.tracking_number if s.parcel else None, [(x.item.sku, x.quantity) for x in s.lines]) for s in slips
    ] == [
        (sf_number(1), [("A-1", 1)]),
        (sf_number(2), [("B-2", 2)]),
        (None, [("B-2", 1), ("C-3", 1)]),
    ]


def test_voided_parcels_and_cancelled_orders_print_nothing(clerk):
    shipped = OrderFactory()
    parcel = services.ship_order(shipped, carrier("SF"), sf_number(1), user=clerk)
    services.void_parcel(parcel, user=clerk)
    cancelled = OrderFactory()
    services.cancel_order(cancelled, user=clerk)

    response_orders = Order.objects.exclude(status=Order.Status.CANCELLED).filter(pk__in=[shipped.pk, cancelled.pk])
    (slip,) = packing_slips(response_orders)
    assert slip.parcel is None and slip.order_nos == [shipped.order_no]  # back to pending: its lines to ship


def test_the_page_masks_the_receiver_shows_the_note_and_carries_both_numbers(clerk_client, clerk):
    order = OrderFactory(
        receiver_name="李雨欣",
        receiver_phone="13912345678",
        address="浙江省杭州市西湖区文三路88号3栋1202室",
        note="请用纸箱",
    )
    services.ship_order(order, carrier("SF"), sf_number(7), user=clerk)

    html = clerk_client.get(packing_slips_url([order.pk])).content.decode()
    assert "139****5678" in html and "浙江省杭州市西湖区****" in html
    assert "13912345678" not in html and "文三路" not in html
    assert "请用纸箱" in html and f"顺丰速运 {sf_number(7)}" in html
    assert str(code128_svg(sf_number(7))) in html and str(code128_svg(order.order_no)) in html


def test_a_platform_encrypted_receiver_is_not_printed(clerk_client):
    order = OrderFactory(receiver_name="平台加密", receiver_phone="****", address="****", receiver_encrypted=True)
    html = clerk_client.get(packing_slips_url([order.pk])).content.decode()
    assert "收货人：平台加密" in html


def test_the_label_size_page_is_76_by_130(clerk_client):
    order = OrderFactory()
    html = clerk_client.get(packing_slips_url([order.pk], size="label")).content.decode()
    assert "size: 76mm 130mm" in html and "size-label" in html
    html = clerk_client.get(packing_slips_url([order.pk], size="nonsense")).content.decode()
    assert "size: 210mm 297mm" in html  # an unknown size falls back to A4


def test_queries_do_not_grow_with_the_orders(clerk_client, clerk):
    def count(n):
        orders = [
            OrderFactory(lines=[(ItemFactory(initial_stock=5), 1), (ItemFactory(initial_stock=5), 2)]) for _ in range(n)
        ]
        for index, order in enumerate(orders[: n // 2]):
            services.ship_order(order, carrier("SF"), sf_number(1000 * n + index), user=clerk)
        with CaptureQueriesContext(connection) as queries:
            response = clerk_client.get(packing_slips_url([order.pk for order in orders]))
        assert response.status_code == 200 and response.content.decode().count('class="slip"') == n
        return len(queries)

    assert count(4) == count(40)


def test_the_action_opens_the_slips_of_the_selected_orders(clerk_client):
    first, second = OrderFactory(), OrderFactory()
    response = clerk_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "print_packing_slips", "_selected_action": [first.pk, second.pk]},
    )
    assert response.status_code == 302 and response.url == packing_slips_url(sorted([first.pk, second.pk]))


def test_a_user_without_view_permission_is_refused(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="pw-nobody-123", is_staff=True)
    client.force_login(user)
    assert client.get(packing_slips_url([OrderFactory().pk])).status_code == 403


def test_code128_refuses_what_it_cannot_carry():
    assert code128_svg("订单一") == "" and code128_svg("") == ""
    assert str(code128_svg("SF1234567890123")).startswith("<svg")


def test_the_bars_are_the_runs_of_dark_modules():
    from orders.barcodes import bars

    assert bars("1101001000011") == [(0, 2), (3, 1), (6, 1), (11, 2)]
    assert bars("") == [] and bars("000") == []
