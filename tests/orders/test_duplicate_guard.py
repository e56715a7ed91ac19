"""One live parcel per carrier and number (DESIGN.md rule 4): joined by its receiver, refused for others."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from orders import services
from orders.models import Order, Parcel
from tests.factories import OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db


def test_a_number_on_another_receivers_parcel_is_refused_naming_that_order(ledger_is_consistent):
    first = OrderFactory(order_no="A001")
    services.ship_order(first, carrier("SF"), sf_number(1))
    other = OrderFactory(order_no="A002", receiver_name="李四")
    with pytest.raises(ValidationError) as caught:
        services.ship_order(other, carrier("SF"), sf_number(1))
    assert "A001" in caught.value.messages[0] and "收货人不同" in caught.value.messages[0]
    other.refresh_from_db()
    assert other.status == Order.Status.PENDING and other.lines.get().item.stock == 100
    ledger_is_consistent()


def test_the_same_receiver_joins_the_live_parcel_even_with_other_blanks():
    first = OrderFactory(order_no="C001")
    parcel = services.ship_order(first, carrier("SF"), sf_number(3))
    second = OrderFactory(order_no="C002", address="上海市浦东新区张杨路  100 号")  # blanks differ only
    joined = services.ship_order(second, carrier("SF"), sf_number(3))
    assert joined.pk == parcel.pk and Parcel.objects.count() == 1
    second.refresh_from_db()
    assert second.status == Order.Status.SHIPPED


def test_receiver_must_match_on_phone_and_address_too():
    services.ship_order(OrderFactory(order_no="D001"), carrier("SF"), sf_number(4))
    for changes in ({"receiver_phone": "13900000000"}, {"address": "北京市朝阳区建国路 1 号"}):
        with pytest.raises(ValidationError):
            services.ship_order(OrderFactory(**changes), carrier("SF"), sf_number(4))


def test_a_voided_parcels_number_can_be_reused_for_anyone():
    parcel = services.ship_order(OrderFactory(order_no="E001"), carrier("SF"), sf_number(5))
    services.void_parcel(parcel)
    services.ship_order(OrderFactory(receiver_name="王五"), carrier("SF"), sf_number(5))
    assert Parcel.objects.filter(tracking_number=sf_number(5), status="shipped").count() == 1


def test_the_database_itself_refuses_a_second_live_parcel_with_one_number():
    parcel = services.ship_order(OrderFactory(), carrier("SF"), sf_number(6))
    with pytest.raises(IntegrityError), transaction.atomic():
        Parcel.objects.create(carrier=parcel.carrier, tracking_number=sf_number(6), live_number=sf_number(6))
