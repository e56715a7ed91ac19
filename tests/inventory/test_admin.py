import pytest
from django.urls import reverse

from inventory.models import InventoryItem
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def item_form(item, **changes):
    data = {
        "sku": item.sku,
        "name": item.name,
        "low_stock_threshold": item.low_stock_threshold,
        "stock_delta": 0,
        "stock_reason": "receive",
        "stock_note": "",
        "movements-TOTAL_FORMS": "0",
        "movements-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_item_list_shows_low_stock_badge_and_filter(clerk_client):
    ItemFactory(sku="LOW-1", initial_stock=2)
    ItemFactory(sku="OK-1", initial_stock=50)
    url = reverse("admin:inventory_inventoryitem_changelist")

    html = clerk_client.get(url).content.decode()
    low_only = clerk_client.get(url, {"low_stock": "yes"}).context["cl"].result_list

    assert html.count('class="badge badge-low">低库存<') == 1
    assert [item.sku for item in low_only] == ["LOW-1"]


def test_stock_correction_goes_through_the_ledger(clerk_client, clerk, ledger_is_consistent):
    item = ItemFactory(initial_stock=10)
    url = reverse("admin:inventory_inventoryitem_change", args=[item.pk])

    response = clerk_client.post(url, item_form(item, stock_delta=-4, stock_reason="adjust", stock_note="破损"))

    assert response.status_code == 302
    movement = item.movements.order_by("-id").first()
    assert (movement.delta, movement.reason, movement.note, movement.created_by) == (-4, "adjust", "破损", clerk)
    assert InventoryItem.objects.get(pk=item.pk).stock == 6
    ledger_is_consistent()


def test_stock_correction_cannot_go_negative_or_skip_the_reason(clerk_client):
    item = ItemFactory(initial_stock=3)
    url = reverse("admin:inventory_inventoryitem_change", args=[item.pk])

    too_much = clerk_client.post(url, item_form(item, stock_delta=-5))
    no_note = clerk_client.post(url, item_form(item, stock_delta=-1, stock_reason="adjust"))

    assert "最多只能减少 3 件" in too_much.content.decode()
    assert "请填写备注" in no_note.content.decode()
    assert InventoryItem.objects.get(pk=item.pk).stock == 3
    assert item.movements.count() == 1


def test_stock_is_not_a_typed_field(clerk_client):
    item = ItemFactory(initial_stock=3)
    url = reverse("admin:inventory_inventoryitem_change", args=[item.pk])

    clerk_client.post(url, item_form(item, stock=999))

    assert InventoryItem.objects.get(pk=item.pk).stock == 3


@pytest.mark.parametrize(
    ("field", "message"),
    [("stock_delta", "每次最多增加 1000000 件。"), ("low_stock_threshold", "预警库存最多 1000000。")],
)
@pytest.mark.parametrize("typed", [str(2**31), str(2**63), "9" * 30, "1000001"])
def test_a_huge_number_is_refused_in_chinese_on_every_database(clerk_client, field, message, typed):
    item = ItemFactory(initial_stock=3)
    url = reverse("admin:inventory_inventoryitem_change", args=[item.pk])

    response = clerk_client.post(url, item_form(item, **{field: typed}))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert InventoryItem.objects.get(pk=item.pk).stock == 3
    assert item.movements.count() == 1


def test_a_huge_negative_adjustment_is_refused_in_chinese(clerk_client):
    item = ItemFactory(initial_stock=3)
    url = reverse("admin:inventory_inventoryitem_change", args=[item.pk])

    response = clerk_client.post(url, item_form(item, stock_delta=str(-(2**63)), stock_reason="adjust", stock_note="x"))

    assert response.status_code == 200
    assert "每次最多减少 1000000 件。" in response.content.decode()
    assert InventoryItem.objects.get(pk=item.pk).stock == 3


def test_the_largest_adjustment_is_accepted(clerk_client, ledger_is_consistent):
    item = ItemFactory(initial_stock=3)
    url = reverse("admin:inventory_inventoryitem_change", args=[item.pk])

    response = clerk_client.post(url, item_form(item, stock_delta="1000000"))

    assert response.status_code == 302
    assert InventoryItem.objects.get(pk=item.pk).stock == 1_000_003
    ledger_is_consistent()
