"""The order list: carrier filled from the number, the duplicate guard across rows, masking."""

import pytest
from django.urls import reverse

from orders.models import Order
from tests.factories import OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db
URL = reverse("admin:orders_order_changelist")


def post_rows(client, rows):
    """Save the list page with `rows` = {order: {"carrier": id or "", "tracking_number": …}}."""
    page = client.get(URL)
    formset = page.context["cl"].formset
    data = {f"form-{k}": v for k, v in formset.management_form.initial.items()}
    for i, form in enumerate(formset.forms):
        order = form.instance
        row = rows.get(order, {})
        data[f"form-{i}-id"] = order.pk
        data[f"form-{i}-status"] = row.get("status", order.status)
        data[f"form-{i}-carrier"] = row.get("carrier", order.carrier_id or "")
        data[f"form-{i}-tracking_number"] = row.get("tracking_number", order.tracking_number)
        data[f"form-{i}-version"] = form.fields["version"].initial
    data["_save"] = "保存"
    return client.post(URL, data)


def test_typing_only_the_number_fills_the_carrier_and_ships(clerk_client, ledger_is_consistent):
    order = OrderFactory()
    response = post_rows(clerk_client, {order: {"tracking_number": "sf0000000000042"}})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.carrier.code, order.tracking_number) == ("shipped", "SF", "SF0000000000042")
    ledger_is_consistent()


def test_a_number_no_carrier_recognises_asks_for_the_carrier(clerk_client):
    order = OrderFactory()
    response = post_rows(clerk_client, {order: {"tracking_number": "4312345678"}})
    assert response.status_code == 200
    assert "无法从快递单号“4312345678”识别快递公司" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_a_chosen_carrier_is_kept(clerk_client):
    order = OrderFactory()
    post_rows(clerk_client, {order: {"carrier": carrier("YD").pk, "tracking_number": "4312345678901"}})
    order.refresh_from_db()
    assert (order.status, order.carrier.code) == ("shipped", "YD")


def test_two_rows_of_one_save_cannot_share_a_number_across_receivers(clerk_client):
    a = OrderFactory(order_no="G001")
    b = OrderFactory(order_no="G002", receiver_name="李四")
    response = post_rows(clerk_client, {a: {"tracking_number": sf_number(8)}, b: {"tracking_number": sf_number(8)}})
    assert response.status_code == 200
    assert "已用于本批的订单 G001" in response.content.decode()
    assert set(Order.objects.values_list("status", flat=True)) == {"pending"}


def test_two_rows_for_one_receiver_ship_together(clerk_client):
    a, b = OrderFactory(), OrderFactory()
    response = post_rows(clerk_client, {a: {"tracking_number": sf_number(9)}, b: {"tracking_number": sf_number(9)}})
    assert response.status_code == 302
    assert set(Order.objects.values_list("status", flat=True)) == {"shipped"}


def test_list_shows_masked_phone_and_short_address_only(clerk_client):
    OrderFactory(receiver_phone="13812345678", address="上海市浦东新区张杨路 100 号 5 栋 101 室")
    html = clerk_client.get(URL).content.decode()
    assert "138****5678" in html
    assert "13812345678" not in html
    assert "上海市浦东新区****" in html
    assert "张杨路" not in html


def test_list_query_count_is_flat_in_rows(clerk_client, django_assert_max_num_queries):
    OrderFactory.create_batch(3)
    with django_assert_max_num_queries(30) as few:
        clerk_client.get(URL)
    OrderFactory.create_batch(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        clerk_client.get(URL)
