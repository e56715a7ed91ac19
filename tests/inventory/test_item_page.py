import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockMovement
from inventory.services import adjust_stock
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def page_queries(client, item):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:inventory_inventoryitem_change", args=[item.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_item_page_queries_do_not_grow_with_its_ledger_and_timeline(clerk_client, clerk):
    short, long = ItemFactory(initial_stock=5), ItemFactory(initial_stock=5)
    for n in range(30):
        adjust_stock(long, 1, StockMovement.Reason.ADJUST, user=clerk, note=f"第 {n} 次")
    page_queries(clerk_client, short)  # warm the per-process caches (content types, session)
    assert page_queries(clerk_client, long) == page_queries(clerk_client, short) <= 8
