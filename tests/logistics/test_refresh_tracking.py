"""manage.py refresh_tracking, the rate limiter, and the 异常件 selector."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from logistics.models import TraceEvent, Tracking, TrackingState
from logistics.selectors import exception_parcels, exception_parcels_count
from logistics.services.tracking import RateLimiter, ensure_tracking
from orders.models import Parcel
from orders.services import ship_order, ship_parcel, void_parcel
from tests.factories import ItemFactory, OrderFactory, carrier


def shipped_parcel(number, code="SF", days_ago=0):
    parcel = ship_order(OrderFactory(item=ItemFactory(initial_stock=5)), carrier(code), number)
    if days_ago:
        Parcel.objects.filter(pk=parcel.pk).update(shipped_at=timezone.now() - timedelta(days=days_ago))
        parcel.refresh_from_db()
    return parcel


def refresh(*args):
    out = StringIO()
    call_command("refresh_tracking", "--rate", "0", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_polls_live_parcels_and_stores_traces(courier):
    a = shipped_parcel("SF0000000000001")
    b = shipped_parcel("70000000000002", code="ZTO")
    courier.add_event("SF0000000000001", "2026-11-20 09:00:00", "已揽收", com="shunfeng", state="1")
    courier.add_event("70000000000002", "2026-11-20 10:00:00", "已签收", com="zhongtong", state="3", ischeck="1")
    output = refresh()
    assert "查询 2 个包裹，失败 0 个，新增轨迹 2 条。" in output
    assert Tracking.objects.get(parcel=a).state == TrackingState.IN_TRANSIT
    assert Tracking.objects.get(parcel=b).state == TrackingState.SIGNED
    assert sorted(courier.queries) == ["70000000000002", "SF0000000000001"]


def test_skips_signed_old_and_recently_polled_parcels(courier):
    shipped_parcel("SF0000000000001")
    old = shipped_parcel("SF0000000000002", days_ago=40)
    courier.add_event("SF0000000000001", "2026-11-20 09:00:00", "已揽收", com="shunfeng")
    courier.add_event("SF0000000000002", "2026-11-20 09:00:00", "已揽收", com="shunfeng")
    refresh()
    assert courier.queries == ["SF0000000000001"]
    refresh()  # polled minutes ago: nothing to do
    assert courier.queries == ["SF0000000000001"]
    refresh("--days", "60", "--min-interval", "0")
    assert sorted(courier.queries) == ["SF0000000000001", "SF0000000000001", "SF0000000000002"]
    assert Tracking.objects.get(parcel=old).last_polled_at is not None


def test_resumes_where_an_interrupted_run_stopped(courier):
    for n in range(1, 4):
        shipped_parcel(f"SF000000000000{n}")
        courier.add_event(f"SF000000000000{n}", "2026-11-20 09:00:00", "已揽收", com="shunfeng")
    refresh("--limit", "2")  # stands in for a run cut short after two orders
    assert len(courier.queries) == 2
    refresh()
    assert sorted(courier.queries) == ["SF0000000000001", "SF0000000000002", "SF0000000000003"]


def test_failures_are_reported_and_retried_next_run(courier):
    shipped_parcel("SF0000000000001")
    courier.add_event("SF0000000000001", "2026-11-20 09:00:00", "已揽收", com="shunfeng")
    courier.fail_next("http500", path="/poll/query.do", times=3)
    with pytest.raises(CommandError, match="1 个包裹查询失败"):
        refresh()
    tracking = Tracking.objects.get()
    assert tracking.last_polled_at is None and "暂时不可用" in tracking.last_error
    refresh()
    assert TraceEvent.objects.count() == 1


def test_refuses_without_credentials(settings, db):
    settings.KUAIDI100 = {"KEY": "", "SECRET": "", "CUSTOMER": ""}
    with pytest.raises(CommandError, match="未配置快递100账号"):
        refresh()


def test_rate_limiter_spaces_calls():
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
    limiter.wait()
    limiter.wait()
    now[0] += 0.1
    limiter.wait()
    now[0] += 1
    limiter.wait()
    assert slept == [0.25, 0.15]


def test_exception_parcels(courier):
    fresh = shipped_parcel("SF0000000000001")
    stale = shipped_parcel("SF0000000000002", days_ago=5)
    difficult = shipped_parcel("SF0000000000003")
    returned = shipped_parcel("SF0000000000004")
    signed_long_ago = shipped_parcel("SF0000000000005", days_ago=10)
    untracked_old = shipped_parcel("SF0000000000006", days_ago=10)
    for parcel in [fresh, stale, difficult, returned, signed_long_ago]:
        ensure_tracking(parcel)
    now = timezone.now()
    Tracking.objects.filter(parcel=fresh).update(state=TrackingState.IN_TRANSIT, last_event_at=now - timedelta(days=1))
    Tracking.objects.filter(parcel=stale).update(state=TrackingState.IN_TRANSIT, last_event_at=now - timedelta(days=4))
    Tracking.objects.filter(parcel=difficult).update(state=TrackingState.DIFFICULT, last_event_at=now)
    Tracking.objects.filter(parcel=returned).update(state=TrackingState.RETURNED, last_event_at=now)
    Tracking.objects.filter(parcel=signed_long_ago).update(
        state=TrackingState.SIGNED, last_event_at=now - timedelta(days=9)
    )
    assert set(exception_parcels()) == {stale, difficult, returned}
    assert exception_parcels_count() == 3
    assert untracked_old not in exception_parcels()


def test_voided_parcels_are_neither_polled_nor_exceptions(courier, clerk):
    parcel = shipped_parcel("SF0000000000001", days_ago=5)
    ensure_tracking(parcel)
    Tracking.objects.update(state=TrackingState.RETURNED)
    assert exception_parcels_count() == 1
    void_parcel(parcel, user=clerk)
    assert exception_parcels_count() == 0
    refresh()
    assert courier.queries == []


def test_split_order_polls_each_parcel_with_the_receivers_phone(courier):
    order = OrderFactory(lines=[(ItemFactory(initial_stock=5), 1), (ItemFactory(initial_stock=5), 1)])
    first_line, second_line = order.lines.order_by("pk")
    ship_parcel([(first_line, 1)], carrier("SF"), "SF0000000000001")
    ship_parcel([(second_line, 1)], carrier("SF"), "SF0000000000002")
    for number in ["SF0000000000001", "SF0000000000002"]:
        courier.add_event(number, "2026-11-20 09:00:00", "已揽收", com="shunfeng")
    assert "查询 2 个包裹" in refresh()
    phones = [json.loads(form["param"]).get("phone") for path, form in courier.requests if path == "/poll/query.do"]
    assert phones == [order.receiver_phone] * 2
    assert Tracking.objects.filter(parcel__lines__line__order=order).count() == 2
