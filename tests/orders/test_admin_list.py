"""The order list and page with two clerks at once: exactly one save wins, the other is told why (issue 15.2)."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from orders.models import Order, Parcel
from tests.factories import OrderFactory, sf_number
from tests.orders.test_admin_order_page import form_data

URL = reverse("admin:orders_order_changelist")


def row_post(client, order, number):
    """What the browser posts for one row of the list page, as loaded now, with `number` typed in."""
    form = next(f for f in client.get(URL).context["cl"].formset.forms if f.instance.pk == order.pk)
    data = {f"form-{key}": value for key, value in form.formset.management_form.initial.items()}
    for index, other in enumerate(form.formset.forms):
        row = {"id": other.instance.pk, "carrier": "", "tracking_number": "", "version": other["version"].value()}
        if other is form:
            row["tracking_number"] = number
        data.update({f"form-{index}-{name}": value for name, value in row.items()})
    return {**data, "_save": "保存"}


def clerks(django_user_model, count=2):
    clients = []
    for n in range(count):
        client = Client()
        client.force_login(django_user_model.objects.create_superuser(f"clerk{n}", f"c{n}@example.com", "pw-123456"))
        clients.append(client)
    return clients


@pytest.mark.django_db
def test_list_shows_masked_phone_and_short_address_only(clerk_client):
    OrderFactory(receiver_phone="13812345678", address="上海市浦东新区张杨路 100 号 5 栋 101 室")
    html = clerk_client.get(URL).content.decode()
    assert "138****5678" in html and "13812345678" not in html
    assert "上海市浦东新区****" in html and "张杨路" not in html


@pytest.mark.django_db
def test_two_clerks_saving_one_row_one_after_the_other_the_second_is_told_why(django_user_model):
    order = OrderFactory(order_no="RACE1")
    first, second = clerks(django_user_model)
    first_post, second_post = row_post(first, order, sf_number(1)), row_post(second, order, sf_number(2))

    assert first.post(URL, first_post).status_code == 302
    response = second.post(URL, second_post, follow=True)

    assert "订单 RACE1 在你打开页面后已被修改（现在是“已发货”），本行未保存" in response.content.decode()
    assert list(Parcel.objects.values_list("tracking_number", flat=True)) == [sf_number(1)]


def run_together(calls):
    """Run `calls` in threads released at one instant; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        barrier.wait()
        try:
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def needs_mysql():
    if connection.vendor != "mysql":
        pytest.skip("row locks need MySQL/MariaDB; run with DATABASE_URL=mysql://…")


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clerks_saving_one_row_at_the_same_instant_exactly_one_wins(django_user_model):
    needs_mysql()
    order = OrderFactory(order_no="RACE2")
    first, second = clerks(django_user_model)
    posts = [(first, row_post(first, order, sf_number(3))), (second, row_post(second, order, sf_number(4)))]

    pages = run_together([lambda c=c, d=d: c.post(URL, d, follow=True).content.decode() for c, d in posts])

    assert Parcel.objects.count() == 1 and Order.objects.get(pk=order.pk).status == "shipped"
    won = [page for page in pages if "已发货：订单" in page and "未保存" not in page]
    lost = [page for page in pages if "未保存" in page]
    assert (len(won), len(lost)) == (1, 1)
    # The rows are read under a lock: the loser is told the order changed, not a bare refusal.
    assert "订单 RACE2 在你打开页面后已被修改（现在是“已发货”）" in lost[0]


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clerks_saving_one_order_page_at_once_the_second_is_refused(django_user_model):
    needs_mysql()
    order = OrderFactory(order_no="RACE3")
    url = reverse("admin:orders_order_change", args=[order.pk])
    first, second = clerks(django_user_model)
    posts = [
        (first, form_data(first.get(url), address="北京市 A 路 1 号")),
        (second, form_data(second.get(url), address="北京市 B 路 2 号")),
    ]

    codes = run_together([lambda c=c, d=d: c.post(url, d).status_code for c, d in posts])

    assert sorted(codes) == [200, 302]  # without the row lock both saves "succeed" and one address is lost
    winner = posts[codes.index(302)][1]["address"]
    assert Order.objects.get(pk=order.pk).address == winner
