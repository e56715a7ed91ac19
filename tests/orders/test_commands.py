import pytest
from django.core.management import CommandError, call_command

from inventory.models import InventoryItem
from orders.models import Order
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def test_verify_stock_passes_on_a_consistent_ledger(capsys):
    ItemFactory(initial_stock=5)
    call_command("verify_stock")
    assert "一致" in capsys.readouterr().out


def test_verify_stock_names_the_drifted_sku_and_fails(capsys):
    ItemFactory(sku="GOOD-1", initial_stock=5)
    drifted = ItemFactory(sku="DRIFT-1", initial_stock=5)
    InventoryItem.objects.filter(pk=drifted.pk).update(stock=7)  # simulate a write that bypassed the ledger

    with pytest.raises(CommandError):
        call_command("verify_stock")

    out = capsys.readouterr().out
    assert "DRIFT-1" in out and "GOOD-1" not in out


def test_seed_demo_fills_every_status_with_a_consistent_ledger(ledger_is_consistent):
    call_command("seed_demo", orders=60)

    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses == {"pending", "shipped", "cancelled"}
    assert InventoryItem.objects.count() == 20
    assert all(item.image for item in InventoryItem.objects.all())
    ledger_is_consistent()
    call_command("verify_stock")


def test_seed_demo_refuses_a_database_with_orders():
    call_command("seed_demo", orders=10)

    with pytest.raises(CommandError):
        call_command("seed_demo", orders=10)
    call_command("seed_demo", orders=10, if_empty=True)

    assert Order.objects.count() == 10
