import pytest
from django.urls import reverse

from orders import services
from orders.models import Order
from orders.picking import pick_rows, picked_orders
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db


def test_quantities_are_summed_per_sku_sorted_by_sku():
    b = ItemFactory(sku="B-2", initial_stock=10)
    a = ItemFactory(sku="A-1", initial_stock=10)
    OrderFactory(item=b, quantity=2)
    OrderFactory(item=a, quantity=1)
    OrderFactory(item=b, quantity=3)
    OrderFactory(item=a, quantity=2)
    shipped = OrderFactory(item=a, quantity=7)
    services.ship_order(shipped, carrier("SF"), sf_number(1))
    rows = pick_rows(Order.objects.all())
    assert [(r.item.sku, r.quantity, r.order_count, r.short) for r in rows] == [("A-1", 3, 2, 0), ("B-2", 5, 2, 0)]


def test_shortage_is_shown():
    a = ItemFactory(sku="A-1", initial_stock=2)
    OrderFactory(item=a, quantity=3)
    (row,) = pick_rows(Order.objects.all())
    assert row.short == 1


def test_picked_orders_follow_the_shelves():
    b, a = ItemFactory(sku="B"), ItemFactory(sku="A")
    o1, o2 = OrderFactory(item=b), OrderFactory(item=a)
    assert list(picked_orders(Order.objects.all())) == [o2, o1]


def test_pick_list_pages(clerk_client, django_assert_max_num_queries):
    a = ItemFactory(sku="A-1", name="<b>杯子</b>", initial_stock=5)
    o1 = OrderFactory(item=a, quantity=2, order_no="PK1")
    OrderFactory(item=a, quantity=1, order_no="PK2")
    OrderFactory.create_batch(10)
    with django_assert_max_num_queries(12):
        html = clerk_client.get(reverse("admin:orders_order_pick_list")).content.decode()
    assert "拣货单" in html and "全部未发货订单" in html
    assert "&lt;b&gt;杯子&lt;/b&gt;" in html
    assert "PK1" in html and "PK2" in html
    response = clerk_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "print_pick_list", "_selected_action": [o1.pk], "index": 0},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "所选订单" in html and "PK1" in html and "PK2" not in html
