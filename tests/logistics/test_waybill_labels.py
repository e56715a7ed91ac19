"""Batch label printing (issue 18): the e-waybill's label image is fetched once and kept, the print page
lays out one label per page at the paper's size, and only the clerk's confirmation counts a print."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logistics.label_views import labels_url
from logistics.models import Sender, Waybill
from logistics.services import labels
from orders.models import Parcel
from orders.services import ship_order, void_parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.logistics.conftest import run_action


def ship_with_waybills(clerk, n):
    orders = [OrderFactory(item=ItemFactory(initial_stock=5)) for _ in range(n)]
    for start in range(0, n, 5):  # 5 at a time: a larger selection would go to the background queue
        run_action(clerk, orders[start : start + 5])
    return orders


def test_the_label_image_is_stored_when_the_waybill_is_issued(courier, sender, clerk):
    (order,) = ship_with_waybills(clerk, 1)
    waybill = Waybill.objects.get(order=order)
    assert waybill.label_file.name.endswith(f"{waybill.tracking_number}.png")
    with waybill.label_file.open("rb") as stored:
        assert stored.read().startswith(b"\x89PNG")
    assert len(courier.label_fetches) == 1

    labels.waybills_to_print(order_pks=[order.pk])  # stored: the courier is not asked again
    assert len(courier.label_fetches) == 1


def test_a_link_that_answers_with_a_page_is_not_kept_and_the_print_page_names_it(courier, sender, clerk, clerk_client):
    courier.labels_broken = True
    (order,) = ship_with_waybills(clerk, 1)
    waybill = Waybill.objects.get(order=order)
    assert not waybill.label_file
    html = clerk_client.get(labels_url(order_pks=[order.pk])).content.decode()
    assert "1 张面单图片取不到" in html and order.order_no in html and 'class="label"' not in html

    courier.labels_broken = False  # the next visit tries again
    html = clerk_client.get(labels_url(order_pks=[order.pk])).content.decode()
    assert html.count('class="label"') == 1


def test_the_print_page_has_one_label_per_parcel_at_the_paper_size_with_local_images(
    courier, sender, clerk, clerk_client, settings
):
    orders = ship_with_waybills(clerk, 3)
    by_hand = OrderFactory()
    ship_order(by_hand, carrier("SF"), sf_number(77), user=clerk)
    html = clerk_client.get(labels_url(order_pks=[o.pk for o in [*orders, by_hand]])).content.decode()

    assert html.count('class="label"') == 3 and "@page { size: 76mm 130mm; margin: 0; }" in html
    numbers = [Waybill.objects.get(order=order).tracking_number for order in orders]
    assert [html.index(f'data-number="{n}"') for n in numbers] == sorted(
        html.index(f'data-number="{n}"') for n in numbers
    )
    assert (
        html.count(f'src="{settings.MEDIA_URL}waybill-labels/') == 3 and "kuaidi100" not in html.split('id="labels"')[1]
    )
    assert "1 个订单没有电子面单" in html and by_hand.order_no in html

    Sender.objects.update(label_size=Sender.LabelSize.S100X180)
    assert "@page { size: 100mm 180mm;" in clerk_client.get(labels_url(order_pks=[orders[0].pk])).content.decode()


def test_only_the_confirmation_counts_a_print_and_a_reprint_counts_again(courier, sender, clerk, clerk_client):
    (order,) = ship_with_waybills(clerk, 1)
    waybill = Waybill.objects.get(order=order)
    clerk_client.get(labels_url(order_pks=[order.pk]))
    assert Waybill.objects.get(pk=waybill.pk).print_count == 0  # showing the page is not printing

    done = clerk_client.post(reverse("admin:orders_order_labels_printed"), {"waybills": str(waybill.pk)}, follow=True)
    assert "已记录 1 张面单打印完成" in done.content.decode()
    waybill.refresh_from_db()
    assert (waybill.print_count, waybill.printed_by) == (1, clerk)

    page = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "重打面单" in page and "已打印 1 次" in page
    parcel = Parcel.objects.get(waybill=waybill)
    reprint = clerk_client.get(labels_url(parcel_pk=parcel.pk)).content.decode()
    assert reprint.count('class="label"') == 1 and "已打印 1 次" in reprint
    clerk_client.post(reverse("admin:orders_order_labels_printed"), {"waybills": str(waybill.pk)})
    assert Waybill.objects.get(pk=waybill.pk).print_count == 2


def test_a_voided_parcel_has_no_label_to_print(courier, sender, clerk, clerk_client):
    (order,) = ship_with_waybills(clerk, 1)
    void_parcel(Parcel.objects.get(lines__line__order=order), user=clerk)
    html = clerk_client.get(labels_url(order_pks=[order.pk])).content.decode()
    assert 'class="label"' not in html
    assert clerk_client.post(reverse("admin:orders_order_labels_printed"), {"waybills": "1"}).status_code == 302
    assert Waybill.objects.get(order=order).print_count == 0


def test_queries_do_not_grow_with_the_labels(courier, sender, clerk, clerk_client):
    def count(n):
        orders = ship_with_waybills(clerk, n)
        with CaptureQueriesContext(connection) as queries:
            response = clerk_client.get(labels_url(order_pks=[o.pk for o in orders]))
        assert response.content.decode().count('class="label"') == n
        return len(queries)

    assert count(2) == count(12)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_user_who_may_not_ship_is_refused(courier, client, django_user_model, method):
    user = django_user_model.objects.create_user("viewer", password="pw-viewer-123", is_staff=True)
    client.force_login(user)
    url = labels_url(order_pks=[1]) if method == "get" else reverse("admin:orders_order_labels_printed")
    assert getattr(client, method)(url).status_code == 403
