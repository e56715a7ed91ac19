"""The order pages as a clerk uses them, through HTTP: 物流状态 on the list, 物流轨迹 on the order page,
电子面单下单 posted from the list."""

from django.urls import reverse
from django.utils import timezone

from logistics.models import TraceEvent, Tracking, TrackingState, Waybill
from orders.models import Order
from orders.services import ship_order
from tests.factories import OrderFactory, carrier, sf_number

CHANGELIST = "admin:orders_order_changelist"


def shipped_with_trace(state=TrackingState.DELIVERING):
    order = OrderFactory()
    parcel = ship_order(order, carrier("SF"), sf_number(Order.objects.count()))
    Tracking.objects.create(parcel=parcel, state=state, last_event_at=timezone.now())
    TraceEvent.objects.create(parcel=parcel, time=timezone.now(), context="【上海市】派送中", digest="x")
    return order


def test_list_shows_state_and_filters(courier, clerk_client):
    delivering, returned = shipped_with_trace(), shipped_with_trace(TrackingState.RETURNED)
    page = clerk_client.get(reverse(CHANGELIST), {"ship_status": "all", "tracking_state": "exceptions"})
    html = page.content.decode()
    assert returned.order_no in html and delivering.order_no not in html
    assert '<span class="badge trace-returned">退回</span>' in html and "电子面单下单" in html


def test_order_page_shows_each_parcels_timeline(courier, clerk_client):
    order = shipped_with_trace()
    html = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "物流轨迹" in html and "【上海市】派送中" in html


def test_action_posted_from_the_list_ships(courier, sender, clerk_client):
    order = OrderFactory()
    clerk_client.post(reverse(CHANGELIST), {"action": "issue_waybills", "_selected_action": [order.pk]})
    assert Waybill.objects.get(order=order).parcel.is_live
