"""The courier API's admin pages: query counts stay flat, the sender is one row, batch pages render."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logistics import services
from logistics.models import Sender, Tracking, TrackingState, WaybillBatch
from orders.services import ship_order
from tests.factories import ItemFactory, OrderFactory, carrier


def tracked_orders(count):
    item = ItemFactory(initial_stock=count)
    for n in range(count):
        order = OrderFactory(item=item)
        ship_order(order, carrier("SF"), f"SF{n + 1:013d}")
        services.ensure_tracking(order)
    Tracking.objects.update(state=TrackingState.DELIVERING)


def list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:orders_order_changelist"), {"ship_status": "shipped"})
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_order_list_with_tracking_column_has_flat_query_count(courier, clerk_client):
    tracked_orders(3)
    few, html = list_queries(clerk_client)
    assert html.count('<span class="badge trace-delivering">派件中</span>') == 3
    tracked_orders(20)
    many, html = list_queries(clerk_client)
    assert html.count('<span class="badge trace-delivering">派件中</span>') == 23
    assert many == few


def test_only_one_sender(clerk_client, sender):
    page = clerk_client.get(reverse("admin:logistics_sender_changelist")).content.decode()
    assert "王店长" in page
    assert clerk_client.get(reverse("admin:logistics_sender_add")).status_code == 403
    Sender.objects.all().delete()
    assert clerk_client.get(reverse("admin:logistics_sender_add")).status_code == 200


def test_batch_pages_escape_messages(clerk_client, clerk):
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


def test_ops_can_run_the_action_and_watch_the_batch(courier, sender, ops_client):
    item = ItemFactory(initial_stock=10)
    orders = [OrderFactory(item=item) for _ in range(6)]  # more than INLINE_LIMIT: a background batch
    response = ops_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "issue_waybills", "_selected_action": [o.pk for o in orders]},
    )
    batch = WaybillBatch.objects.get()
    assert response.status_code == 302 and batch.created_by.username == "ops"
    page = ops_client.get(response["Location"])
    assert page.status_code == 200 and "0 / 6" in page.content.decode()


def test_managers_see_the_sender_but_cannot_edit_it(sender, manager_client):
    assert manager_client.get(reverse("admin:logistics_sender_change", args=[sender.pk])).status_code == 200
    response = manager_client.post(
        reverse("admin:logistics_sender_change", args=[sender.pk]), {"name": "X", "phone": "1", "address": "Y"}
    )
    assert response.status_code == 403


def test_dashboard_card_counts_exception_parcels(courier, clerk_client, settings):
    tracked_orders(3)
    Tracking.objects.filter(pk=Tracking.objects.order_by("pk").first().pk).update(state=TrackingState.RETURNED)
    content = clerk_client.get("/admin/").content.decode()
    card = content.split("异常件", 1)[1].split("</a>", 1)[0]
    assert 'card-value">1<' in card
    assert "?ship_status=all&amp;tracking_state=exceptions" in content
    settings.KUAIDI100 = {"KEY": "", "SECRET": "", "CUSTOMER": ""}
    assert "异常件" not in clerk_client.get("/admin/").content.decode()
