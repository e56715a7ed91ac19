"""The courier API's admin: how it extends the order admin (column, filter, action, timeline per
parcel), flat query counts, the sender is one row, batch pages render."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from logistics import order_admin as courier_admin
from logistics import selectors
from logistics.admin import CourierOrderAdmin
from logistics.models import Sender, TraceEvent, Tracking, TrackingState, Waybill, WaybillBatch
from logistics.services.tracking import ensure_tracking
from orders.admin import OrderAdmin
from orders.models import Order
from orders.services import ship_order, ship_parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.logistics.conftest import admin_request, order_admin, run_action

BADGE = '<span class="badge trace-{}">{}</span>'


def tracked_orders(count, state=TrackingState.DELIVERING):
    item = ItemFactory(initial_stock=count)
    for _ in range(count):
        order = OrderFactory(item=item)
        parcel = ship_order(order, carrier("SF"), sf_number(Order.objects.count()))
        ensure_tracking(parcel)
    Tracking.objects.update(state=state)


def column_of_every_order():
    with CaptureQueriesContext(connection) as queries:
        cells = [str(courier_admin.tracking_state(o)) for o in selectors.with_live_trackings(Order.objects.all())]
    return len(queries), cells


def filtered(request_user, **params):
    request = admin_request(request_user, data=params)
    lists = {name: [value] for name, value in params.items()}  # as the changelist passes them
    state_filter = courier_admin.TrackingStateFilter(request, lists, Order, order_admin())
    return set(state_filter.queryset(request, Order.objects.all()))


def test_the_order_admin_is_extended_not_edited(courier, clerk):
    assert type(order_admin()) is CourierOrderAdmin and issubclass(CourierOrderAdmin, OrderAdmin)
    request = admin_request(clerk)
    assert courier_admin.tracking_state in order_admin().get_list_display(request)
    assert courier_admin.TrackingStateFilter in order_admin().get_list_filter(request)
    assert "issue_waybills" in order_admin().get_actions(request)
    order = OrderFactory()
    assert ("物流轨迹", {"fields": ["trace_timeline"]}) in order_admin().get_fieldsets(request, order)
    assert "物流轨迹" not in str(order_admin().get_fieldsets(request, None))  # the add page has no parcels


def test_feature_hidden_without_credentials(settings, clerk):
    settings.KUAIDI100 = {"KEY": "", "SECRET": "", "CUSTOMER": ""}
    order = OrderFactory()
    request = admin_request(clerk)
    assert courier_admin.tracking_state not in order_admin().get_list_display(request)
    assert courier_admin.TrackingStateFilter not in order_admin().get_list_filter(request)
    assert "issue_waybills" not in order_admin().get_actions(request)
    assert "物流轨迹" not in str(order_admin().get_fieldsets(request, order))
    run_action(clerk, [order])
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING and not Waybill.objects.exists()


def test_tracking_column_has_flat_query_count(courier):
    tracked_orders(3)
    few, cells = column_of_every_order()
    assert cells == [BADGE.format("delivering", "派件中")] * 3
    tracked_orders(20)
    many, cells = column_of_every_order()
    assert cells.count(BADGE.format("delivering", "派件中")) == 23
    assert many == few


def test_split_order_shows_each_live_parcel_and_filters_by_any(courier, clerk):
    order = OrderFactory(lines=[(ItemFactory(initial_stock=5), 1), (ItemFactory(initial_stock=5), 1)])
    first_line, second_line = order.lines.order_by("pk")
    first = ship_parcel([(first_line, 1)], carrier("SF"), sf_number(1))
    second = ship_parcel([(second_line, 1)], carrier("SF"), sf_number(2))
    other = OrderFactory()
    ship_order(other, carrier("SF"), sf_number(3))
    for parcel, state in [(first, TrackingState.SIGNED), (second, TrackingState.DIFFICULT)]:
        Tracking.objects.create(parcel=parcel, state=state, last_event_at=timezone.now())
    (cell,) = [
        str(courier_admin.tracking_state(o)) for o in selectors.with_live_trackings(Order.objects.filter(pk=order.pk))
    ]
    assert cell == f"{BADGE.format('signed', '已签收')} {BADGE.format('difficult', '疑难')}"
    assert filtered(clerk, tracking_state="signed") == {order}
    assert filtered(clerk, tracking_state="difficult") == {order}
    assert filtered(clerk, tracking_state=courier_admin.EXCEPTIONS) == {order}  # 异常 if any live parcel is
    assert filtered(clerk, tracking_state="in_transit") == set()
    assert len(filtered(clerk)) == 2


def test_timeline_shows_each_parcel_escaped(courier):
    order = OrderFactory(lines=[(ItemFactory(initial_stock=5), 1), (ItemFactory(initial_stock=5), 1)])
    first_line, second_line = order.lines.order_by("pk")
    first = ship_parcel([(first_line, 1)], carrier("SF"), sf_number(1))
    second = ship_parcel([(second_line, 1)], carrier("SF"), sf_number(2))
    TraceEvent.objects.create(parcel=first, time=timezone.now(), context="<b>已揽收</b>", digest="a")
    Tracking.objects.create(parcel=second, last_error="快递100查询失败")
    html = str(order_admin().trace_timeline(order))
    assert sf_number(1) in html and sf_number(2) in html
    assert "&lt;b&gt;已揽收&lt;/b&gt;" in html and "<b>已揽收" not in html
    assert "暂无物流轨迹（快递100查询失败）" in html
    assert str(order_admin().trace_timeline(OrderFactory())) == '<span class="trace-empty">暂无物流轨迹</span>'


def test_only_one_sender(configured, clerk_client, sender):
    page = clerk_client.get(reverse("admin:logistics_sender_changelist")).content.decode()
    assert "王店长" in page
    assert clerk_client.get(reverse("admin:logistics_sender_add")).status_code == 403
    Sender.objects.all().delete()
    assert clerk_client.get(reverse("admin:logistics_sender_add")).status_code == 200


def test_waybill_and_tracking_lists_render(courier, sender, clerk, clerk_client):
    order = OrderFactory()
    run_action(clerk, [order])
    waybills = clerk_client.get(reverse("admin:logistics_waybill_changelist")).content.decode()
    trackings = clerk_client.get(reverse("admin:logistics_tracking_changelist")).content.decode()
    number = order.waybills.get().parcel.tracking_number
    assert number in waybills and order.order_no in waybills
    assert number in trackings and "顺丰速运" in trackings


def test_batch_pages_escape_messages(configured, clerk_client, clerk):
    batch = WaybillBatch.objects.create(
        created_by=clerk,
        total=2,
        done=1,
        failed=1,
        status=WaybillBatch.Status.FINISHED,
        messages=["订单 A：已发货，单号 SF1", "订单 <b>B</b>：快递100拒绝下单"],
    )
    page = clerk_client.get(reverse("admin:logistics_waybillbatch_change", args=[batch.pk])).content.decode()
    assert "&lt;b&gt;B&lt;/b&gt;" in page and "2 / 2" in page
    listing = clerk_client.get(reverse("admin:logistics_waybillbatch_changelist")).content.decode()
    assert "已完成" in listing


def test_ops_can_run_the_action_and_watch_the_batch(courier, sender, ops_user, ops_client):
    item = ItemFactory(initial_stock=10)
    orders = [OrderFactory(item=item) for _ in range(6)]  # more than INLINE_LIMIT: a background batch
    response, _shown = run_action(ops_user, orders)
    batch = WaybillBatch.objects.get()
    assert response.status_code == 302 and batch.created_by.username == "ops"
    page = ops_client.get(response["Location"])
    assert page.status_code == 200 and "0 / 6" in page.content.decode()


def test_managers_cannot_run_the_action(courier, sender, manager_user):
    order = OrderFactory()
    assert "issue_waybills" not in order_admin().get_actions(admin_request(manager_user))
    run_action(manager_user, [order])
    assert courier.purchases == 0 and Order.objects.get(pk=order.pk).status == Order.Status.PENDING


def test_managers_see_the_sender_but_cannot_edit_it(configured, sender, manager_client):
    assert manager_client.get(reverse("admin:logistics_sender_change", args=[sender.pk])).status_code == 200
    response = manager_client.post(
        reverse("admin:logistics_sender_change", args=[sender.pk]), {"name": "X", "phone": "1", "address": "Y"}
    )
    assert response.status_code == 403
