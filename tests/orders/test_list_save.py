"""What a save of the order list tells the clerk, and what an undo says afterwards (issue 16.5, 16.7, 16.8)."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.admin.forms import NOTHING_TO_SAVE
from orders.models import Order, Parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db

URL = reverse("admin:orders_order_changelist")


def list_post(client, typed, url=URL):
    """What the browser posts for the list page as loaded now, with `typed` {order: (carrier, number)} filled in."""
    formset = client.get(url).context["cl"].formset
    data = {f"form-{key}": value for key, value in formset.management_form.initial.items()}
    for index, form in enumerate(formset.forms):
        chosen, number = typed.get(form.instance.pk, (None, ""))
        row = {
            "id": form.instance.pk,
            "carrier": chosen.pk if chosen else "",
            "tracking_number": number,
            "version": form["version"].value(),
        }
        data.update({f"form-{index}-{name}": value for name, value in row.items()})
    return {**data, "_save": "保存"}


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def pending_orders(count, **kwargs):
    now = timezone.now()
    return [OrderFactory(created_at=now - timedelta(hours=count - n), **kwargs) for n in range(count)]


def test_a_save_names_the_order_the_carrier_the_stock_taken_and_links_its_undo(clerk_client):
    item = ItemFactory(sku="SKU-CUP", initial_stock=10)
    order = OrderFactory(item=item, quantity=2)

    response = clerk_client.post(URL, list_post(clerk_client, {order.pk: (carrier("SF"), sf_number(1))}))

    parcel = Parcel.objects.get()
    order_url = reverse("admin:orders_order_change", args=[order.pk])
    undo_url = reverse("admin:orders_order_void_parcel", args=[order.pk, parcel.pk])
    [message] = messages_of(response)
    assert f'订单 <a href="{order_url}">{order.order_no}</a>：顺丰速运 {sf_number(1)}' in message
    assert "库存扣减 SKU-CUP × 2" in message and f'href="{undo_url}"' in message
    assert "按单号识别" not in message  # the clerk chose the carrier
    assert "变更成功" not in message  # Django's own count is replaced, not added


def test_a_carrier_filled_in_from_the_number_is_marked_as_guessed(clerk_client):
    order = OrderFactory()

    response = clerk_client.post(URL, list_post(clerk_client, {order.pk: (None, sf_number(2))}))

    [message] = messages_of(response)
    assert f'顺丰速运<span class="carrier-guessed">（按单号识别，请核对）</span> {sf_number(2)}' in message


def test_a_batch_lists_each_parcel_and_a_shared_number_once(clerk_client):
    first, second, other = pending_orders(3)
    # first and second go to one receiver: one number, one parcel (合并发货)
    Order.objects.filter(pk=second.pk).update(
        receiver_name=first.receiver_name, receiver_phone=first.receiver_phone, address=first.address
    )
    sf, zto = carrier("SF"), carrier("ZTO")
    typed = {first.pk: (sf, sf_number(3)), second.pk: (sf, sf_number(3)), other.pk: (zto, "78636098066239")}

    response = clerk_client.post(URL, list_post(clerk_client, typed))

    [message] = messages_of(response)
    assert message.startswith("已发货 3 单（2 个包裹）：")
    assert message.count("<li>") == 2 and message.count(">撤销</a>") == 2
    merged = re.search(r"<li>(.*?)</li>", message).group(1)
    assert first.order_no in merged and second.order_no in merged


def test_the_message_costs_no_query_per_row(clerk_client):
    """A save of 6 rows runs as many queries as a save of 2 (one item, so one stock write each):
    the report reads nothing back. Django's own admin log writes one row per changed row."""
    orders = pending_orders(8, item=ItemFactory(initial_stock=100))
    sf = carrier("SF")

    def save(rows, seed):
        data = list_post(clerk_client, {order.pk: (sf, sf_number(seed + n)) for n, order in enumerate(rows)})
        with CaptureQueriesContext(connection) as queries:
            response = clerk_client.post(URL, data)
        assert response.status_code == 302 and "已发货" in messages_of(response)[0]
        return [q["sql"] for q in queries.captured_queries if not re.match(r"INSERT INTO .django_admin_log.", q["sql"])]

    assert len(save(orders[:2], 10)) == len(save(orders[2:8], 20))


def test_a_refused_save_names_every_failed_row_in_the_banner(clerk_client):
    good, bad, worse = pending_orders(3)
    sf = carrier("SF")
    typed = {good.pk: (sf, sf_number(4)), bad.pk: (sf, "SF12"), worse.pk: (sf, "SF34")}

    response = clerk_client.post(URL, list_post(clerk_client, typed))

    banner = str(response.context["cl"].formset.non_form_errors())
    assert "未保存：2 个订单有问题" in banner
    assert f'<a href="#order-row-{bad.pk}">{bad.order_no}</a>' in banner
    assert f'<a href="#order-row-{worse.pk}">{worse.order_no}</a>' in banner
    assert good.order_no not in banner
    page = response.content.decode()
    assert f'id="order-row-{bad.pk}" class="row-failed"' in page and f'id="order-row-{good.pk}">' in page
    assert not Parcel.objects.exists()


def test_a_save_with_nothing_typed_says_so(clerk_client):
    OrderFactory()

    response = clerk_client.post(URL, list_post(clerk_client, {}))

    assert response.status_code == 200
    assert NOTHING_TO_SAVE in str(response.context["cl"].formset.non_form_errors())


def test_after_an_undo_the_same_number_ships_again_as_a_new_parcel(clerk_client):
    item = ItemFactory(initial_stock=5)
    order = OrderFactory(item=item, quantity=1)
    sf = carrier("SF")
    clerk_client.post(URL, list_post(clerk_client, {order.pk: (sf, sf_number(5))}))
    first = Parcel.objects.get()
    void_url = reverse("admin:orders_order_void_parcel", args=[order.pk, first.pk])

    undone = clerk_client.post(void_url, {"post": "yes"})

    message = messages_of(undone)[-1]
    assert f"订单 {order.order_no} 已改回“待发货”" in message
    assert f"?ship_status=unshipped&amp;q={order.order_no}" in message

    again = clerk_client.post(URL, list_post(clerk_client, {order.pk: (sf, sf_number(5))}))

    assert "已发货：" in messages_of(again)[0]
    assert list(Parcel.objects.order_by("pk").values_list("tracking_number", "status")) == [
        (sf_number(5), Parcel.Status.VOIDED),
        (sf_number(5), Parcel.Status.SHIPPED),
    ]
    item.refresh_from_db()
    assert item.stock == 4


def test_following_an_undo_link_again_says_the_parcel_is_already_voided(clerk_client):
    order = OrderFactory()
    parcel = services.ship_order(order, carrier("SF"), sf_number(6))
    services.void_parcel(parcel)
    url = reverse("admin:orders_order_void_parcel", args=[order.pk, parcel.pk])

    response = clerk_client.get(url)

    assert response.status_code == 302
    assert messages_of(response) == [f"包裹 顺丰速运 {sf_number(6)} 已撤销，不会再次退回库存。"]


def test_an_empty_filter_explains_itself_with_a_way_to_every_order(clerk_client):
    OrderFactory()

    page = clerk_client.get(URL, {"ship_status": "shipped"}).content.decode()

    assert "“已发货”里没有订单。" in page and "?ship_status=all" in page
