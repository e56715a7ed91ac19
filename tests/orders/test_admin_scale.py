"""The order list stays cheap as orders pile up: flat query counts, no full-table COUNT(*).

Not timed (bench/scale.py does that at a million orders); these catch the regressions cheaply.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.admin import OrderAdmin
from orders.models import Order, OrderLine
from orders.selectors import default_shop
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db
LIST_URL = reverse("admin:orders_order_changelist")


def add_orders(count, item, prefix):
    """Pending orders with one line each, in bulk: no stock moves until they ship, so no service is skipped."""
    now, shop = timezone.now(), default_shop()
    orders = Order.objects.bulk_create(
        Order(
            order_no=f"{prefix}{n:06d}",
            receiver_name="王五",
            receiver_phone=f"139{n:08d}",
            address="北京市朝阳区建国路 1 号",
            created_at=now,
            shop=shop,
        )
        for n in range(count)
    )
    if any(order.pk is None for order in orders):  # MySQL returns no ids from a bulk insert
        orders = list(Order.objects.filter(order_no__startswith=prefix))
    OrderLine.objects.bulk_create(OrderLine(order=order, item=item, quantity=1) for order in orders)


def list_queries(client, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST_URL, params or {})
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def save_one_row_queries(client, number):
    """POST the first page of unshipped orders with `number` typed on one row: it ships, the others stay.

    Returns the SQL of the save's queries."""
    rows = list(Order.objects.filter(status="pending").order_by("created_at", "id")[:50])
    data = {"form-TOTAL_FORMS": len(rows), "form-INITIAL_FORMS": len(rows), "form-MIN_NUM_FORMS": 0, "_save": "保存"}
    for n, order in enumerate(rows):
        data.update(
            {
                f"form-{n}-id": order.pk,
                f"form-{n}-carrier": "",
                f"form-{n}-tracking_number": "",
                f"form-{n}-version": order.updated_at.isoformat(),
            }
        )
    data["form-0-tracking_number"] = number
    # The admin log looks up the content type once per process; count it every time.
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as captured:
        response = client.post(LIST_URL, data)
    assert response.status_code == 302, getattr(response, "context", None) and response.context["cl"].formset.errors
    return [query["sql"] for query in captured.captured_queries]


PAGES = {
    "default 未发货": {},
    "all orders": {"ship_status": "all"},
    "search by phone": {"q": "13900000000"},
    "search by name": {"q": "王"},
}


def test_query_counts_are_the_same_for_10_and_100_orders(clerk_client):
    item = ItemFactory(initial_stock=500)
    for _ in range(10):
        OrderFactory(item=item)
    services.ship_order(Order.objects.first(), carrier("SF"), sf_number(1))
    add_orders(1, item, "A")
    ten = {name: len(list_queries(clerk_client, params)) for name, params in PAGES.items()}
    ten_save = len(save_one_row_queries(clerk_client, sf_number(2)))

    add_orders(90, item, "B")
    hundred = {name: len(list_queries(clerk_client, params)) for name, params in PAGES.items()}
    hundred_save = len(save_one_row_queries(clerk_client, sf_number(3)))

    assert hundred == ten
    assert hundred_save == ten_save
    # Page 2 exists only with more rows: it costs one query more (ids first), whatever the size.
    assert len(list_queries(clerk_client, {"p": 2})) == ten["default 未发货"] + 1


def test_a_row_save_looks_live_parcels_up_by_carrier_and_number(clerk_client):
    # Only (carrier, live_number) is indexed (the live-number constraint): by the number alone
    # MariaDB read and locked all 800,000 parcels, 0.5 s a lookup, 1.2 s a one-row save.
    item = ItemFactory(initial_stock=5)
    add_orders(3, item, "E")
    services.ship_order(Order.objects.get(order_no="E000002"), carrier("SF"), sf_number(9))

    queries = save_one_row_queries(clerk_client, sf_number(10))

    conditions = [sql.split(" WHERE ", 1)[1] for sql in queries if " WHERE " in sql]
    lookups = [where for where in conditions if "live_number" in where]
    assert lookups, "the save should check whether the number is in use"
    assert all("carrier_id" in where for where in lookups), lookups


def test_default_view_never_counts_the_whole_table(clerk_client):
    item = ItemFactory(initial_stock=5)
    add_orders(120, item, "C")

    queries = list_queries(clerk_client)

    counts = [sql for sql in queries if "COUNT(" in sql.upper()]
    assert counts, "the paginator should still count (up to its cap)"
    assert all("LIMIT" in sql.upper() for sql in counts), counts
    order_reads = [sql for sql in queries if "orders_order" in sql]
    assert all("LIMIT" in sql.upper() or " IN (" in sql.upper() for sql in order_reads), order_reads


def test_beyond_the_count_cap_the_total_shows_a_plus_and_page_links_still_work(clerk_client, monkeypatch):
    # The admin's own knob, lowered so that a few hundred rows go past it: with 50 a page,
    # the first page then counts up to 11 pages (550 rows).
    monkeypatch.setattr(OrderAdmin, "list_count_cap", 100)
    item = ItemFactory(initial_stock=5)
    add_orders(600, item, "D")

    first = clerk_client.get(LIST_URL)
    html = first.content.decode()
    assert first.context["cl"].result_count == 550
    assert "550+" in html
    assert "?p=11" in html

    eleventh = clerk_client.get(LIST_URL, {"p": 11})
    assert eleventh.status_code == 200
    # Counting now reaches past 600, so the total is exact and page 12 is linked.
    assert eleventh.context["cl"].result_count == 600
    assert "600 " in eleventh.content.decode()
    assert "?p=12" in eleventh.content.decode()
    assert len(clerk_client.get(LIST_URL, {"p": 12}).context["cl"].result_list) == 50
