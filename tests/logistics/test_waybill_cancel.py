"""撤销发货 of an e-waybill parcel cancels the waybill at Kuaidi100 (issue 18), after the void commits,
so the number is not billed; a waybill that cannot be cancelled says so on the order page."""

import pytest
from django.db import transaction
from django.urls import reverse

from logistics.models import Waybill
from orders.models import Parcel
from orders.services import ship_order, void_parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.logistics.conftest import run_action


def shipped_with_waybill(clerk):
    order = OrderFactory(item=ItemFactory(initial_stock=5))
    run_action(clerk, [order])
    return order, Parcel.objects.get(lines__line__order=order)


def cancel_requests(courier):
    return [form for path, form in courier.requests if path == "/label/order" and form.get("method") == "cancel"]


def void(parcel, clerk, capture):
    with capture(execute=True):
        void_parcel(parcel, user=clerk)


def test_voiding_cancels_the_waybill_and_the_order_page_says_it_is_not_billed(
    courier, sender, clerk, clerk_client, django_capture_on_commit_callbacks
):
    order, parcel = shipped_with_waybill(clerk)
    void(parcel, clerk, django_capture_on_commit_callbacks)

    assert courier.cancelled == {parcel.tracking_number}
    (form,) = cancel_requests(courier)
    assert form["key"] == courier.key  # signed as an order is; the fake checks the signature
    waybill = Waybill.objects.get(parcel=parcel)
    assert waybill.state == Waybill.State.CANCELLED and waybill.last_error == ""
    page = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "电子面单已取消，不计费" in page


def test_a_parcel_already_picked_up_cannot_be_cancelled_and_the_page_says_what_to_do(
    courier, sender, clerk, clerk_client, django_capture_on_commit_callbacks
):
    order, parcel = shipped_with_waybill(clerk)
    courier.picked_up.add(parcel.tracking_number)
    void(parcel, clerk, django_capture_on_commit_callbacks)

    waybill = Waybill.objects.get(parcel=parcel)
    assert waybill.state == Waybill.State.CANCEL_FAILED and "快件已揽收，不能取消" in waybill.last_error
    assert courier.cancelled == set()
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.VOIDED  # the void itself stands: stock is back, the order open
    page = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "电子面单未能取消：快递100不能取消这张面单：快件已揽收，不能取消" in page and "请联系快递网点处理" in page


def test_a_timeout_is_recorded_as_not_cancelled(courier, sender, clerk, django_capture_on_commit_callbacks):
    _order, parcel = shipped_with_waybill(clerk)
    courier.fail_next("timeout", path="/label/order")
    void(parcel, clerk, django_capture_on_commit_callbacks)
    courier.release.set()
    waybill = Waybill.objects.get(parcel=parcel)
    assert (
        waybill.state == Waybill.State.CANCEL_FAILED and waybill.last_error == "快递100取消电子面单超时，请稍后重试。"
    )


def test_a_void_that_rolls_back_cancels_nothing(courier, sender, clerk, django_capture_on_commit_callbacks):
    _order, parcel = shipped_with_waybill(clerk)
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        void_parcel(parcel, user=clerk)
        raise RuntimeError("crash after the void, before commit")
    assert callbacks == [] and cancel_requests(courier) == []
    assert Waybill.objects.get(parcel=parcel).state == Waybill.State.USED


def test_a_parcel_shipped_by_hand_asks_the_courier_nothing(courier, sender, clerk, django_capture_on_commit_callbacks):
    parcel = ship_order(OrderFactory(), carrier("SF"), sf_number(5), user=clerk)
    void(parcel, clerk, django_capture_on_commit_callbacks)
    assert cancel_requests(courier) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the cancel runs when the void commits
@pytest.mark.parametrize("picked_up", [False, True])
def test_the_void_message_says_whether_the_waybill_was_cancelled(courier, sender, clerk, clerk_client, picked_up):
    order, parcel = shipped_with_waybill(clerk)
    if picked_up:
        courier.picked_up.add(parcel.tracking_number)
    url = reverse("admin:orders_order_void_parcel", args=[order.pk, parcel.pk])

    page = clerk_client.post(url, {"post": "yes"}, follow=True).content.decode()

    assert f"已撤销包裹 顺丰速运 {parcel.tracking_number}" in page
    if picked_up:
        assert f"电子面单 {parcel.tracking_number} 未能取消：快递100不能取消这张面单：快件已揽收，不能取消" in page
        assert "请联系快递网点处理，以免这张面单计费。" in page
    else:
        assert f"电子面单 {parcel.tracking_number} 已取消，不计费。" in page
