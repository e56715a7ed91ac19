"""Items' 条码 (69码/EAN-13 …) and 货位 (issue 18): checked, unique, typed the way scanners and
input methods give them; the pick list walks the shelves by 货位."""

import pytest
from django.urls import reverse

from inventory.validators import gs1_check_digit_ok
from orders.desk.pick_list import pick_rows, picked_orders
from orders.models import Order
from tests.factories import ItemFactory, OrderFactory
from tests.inventory.test_admin import item_form

pytestmark = pytest.mark.django_db

# Real GS1 numbers: an EAN-13 of a Chinese product, an EAN-8, a UPC-A.
GOOD = ["6901234567892", "96385074", "036000291452"]


@pytest.mark.parametrize("number", GOOD)
def test_real_barcodes_have_a_correct_check_digit(number):
    assert gs1_check_digit_ok(number)


def save(client, item, barcode):
    return client.post(
        reverse("admin:inventory_inventoryitem_change", args=[item.pk]), item_form(item, barcode=barcode)
    )


def test_a_scanned_barcode_is_kept_and_full_width_digits_are_folded(clerk_client):
    item = ItemFactory()
    assert save(clerk_client, item, " ６９０１２３４５６７８９２ ").status_code == 302
    item.refresh_from_db()
    assert item.barcode == "6901234567892"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("6901234567893", "校验位不对"),
        ("69012345", "校验位不对"),
        ("690123456789", "校验位不对"),
        ("12345", "应为 8、12、13 或 14 位数字"),
        ("69A1234567892", "应为 8、12、13 或 14 位数字"),
    ],
)
def test_a_wrong_barcode_is_refused_in_chinese_and_nothing_is_saved(clerk_client, typed, message):
    item = ItemFactory()
    response = save(clerk_client, item, typed)
    assert response.status_code == 200 and message in response.content.decode()
    item.refresh_from_db()
    assert item.barcode is None


def test_two_items_cannot_share_a_barcode_but_many_may_have_none(clerk_client):
    ItemFactory(barcode="6901234567892")
    other = ItemFactory()
    response = save(clerk_client, other, "6901234567892")
    assert "这个条码已被另一个库存商品使用" in response.content.decode()
    assert save(clerk_client, ItemFactory(), "").status_code == 302
    assert save(clerk_client, ItemFactory(), "").status_code == 302  # blank is NULL, not a second ""


def test_the_pick_list_walks_by_location_then_sku_items_without_one_last():
    near = ItemFactory(sku="Z-9", location="A-01", initial_stock=9)
    far = ItemFactory(sku="A-1", location="B-07", initial_stock=9)
    nowhere = ItemFactory(sku="B-2", initial_stock=9)
    also_near = ItemFactory(sku="C-3", location="A-01", initial_stock=9)
    OrderFactory(lines=[(nowhere, 1), (far, 1), (near, 1), (also_near, 1)])
    rows = pick_rows(picked_orders(Order.objects.all()))
    assert [row.item.sku for row in rows] == ["C-3", "Z-9", "A-1", "B-2"]


def test_the_item_list_finds_an_item_by_its_barcode(clerk_client):
    item = ItemFactory(barcode="6901234567892", name="保温杯")
    ItemFactory(name="马克杯")
    html = clerk_client.get(
        reverse("admin:inventory_inventoryitem_changelist"), {"q": "6901234567892"}
    ).content.decode()
    assert item.name in html and "马克杯" not in html
