import pytest
from django.core.exceptions import ValidationError

from orders import services
from orders.models import Order
from tests.factories import OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db


def test_a_number_on_another_receivers_order_is_refused_naming_that_order(ledger_is_consistent):
    first = OrderFactory(order_no="A001")
    services.ship_order(first, carrier("SF"), sf_number(1))
    other = OrderFactory(order_no="A002", receiver_name="李四")
    with pytest.raises(ValidationError) as caught:
        services.ship_order(other, carrier("SF"), sf_number(1))
    assert "A001" in caught.value.messages[0]
    other.refresh_from_db()
    assert other.status == Order.Status.PENDING
    assert other.item.stock == 100
    ledger_is_consistent()


def test_same_receiver_may_share_a_parcel():
    first = OrderFactory(order_no="B001")
    services.ship_order(first, carrier("SF"), sf_number(2))
    second = OrderFactory(order_no="B002")  # same name, phone, address by default
    services.ship_order(second, carrier("SF"), sf_number(2))
    second.refresh_from_db()
    assert second.status == Order.Status.SHIPPED


def test_consolidated_with_names_the_other_orders():
    first = OrderFactory(order_no="C001")
    services.ship_order(first, carrier("SF"), sf_number(3))
    second = OrderFactory(order_no="C002", address="上海市浦东新区张杨路  100 号")  # blanks differ only
    services.ship_order(second, carrier("SF"), sf_number(3))
    assert second.consolidated_with == ["C001"]


def test_receiver_must_match_on_phone_and_address_too():
    services.ship_order(OrderFactory(order_no="D001"), carrier("SF"), sf_number(4))
    for changes in ({"receiver_phone": "13900000000"}, {"address": "北京市朝阳区建国路 1 号"}):
        with pytest.raises(ValidationError):
            services.ship_order(OrderFactory(**changes), carrier("SF"), sf_number(4))


def test_a_cancelled_orders_number_can_be_reused():
    old = OrderFactory(order_no="E001")
    services.ship_order(old, carrier("SF"), sf_number(5))
    services.cancel_order(old)
    services.ship_order(OrderFactory(receiver_name="王五"), carrier("SF"), sf_number(5))


def test_resaving_a_shipped_order_does_not_trip_over_its_own_number():
    order = OrderFactory()
    services.ship_order(order, carrier("SF"), sf_number(6))
    order.note = "改了备注"
    services.save_order(order)


def test_the_lookup_is_one_indexed_query(django_assert_max_num_queries):
    services.ship_order(OrderFactory(order_no="F001"), carrier("SF"), sf_number(7))
    order = OrderFactory(order_no="F002")
    order.tracking_number = sf_number(7)
    with django_assert_max_num_queries(1):
        order.check_tracking_number_unused()
    assert order.consolidated_with == ["F001"]
