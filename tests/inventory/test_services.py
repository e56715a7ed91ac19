import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from inventory.models import InventoryItem, StockMovement
from inventory.services import InsufficientStock, StockChange, adjust_stock, adjust_stocks, set_counted_stock
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db
Reason = StockMovement.Reason


def test_adjust_stock_changes_stock_and_writes_one_ledger_row(clerk):
    item = ItemFactory(initial_stock=10)

    movement = adjust_stock(item, -3, Reason.ADJUST, user=clerk, note="破损")

    item.refresh_from_db()
    assert item.stock == 7
    assert (movement.delta, movement.balance_after, movement.created_by, movement.note) == (-3, 7, clerk, "破损")
    assert list(item.movements.order_by("id").values_list("delta", flat=True)) == [10, -3]


def test_adjust_stock_refuses_to_go_below_zero_and_changes_nothing():
    item = ItemFactory(sku="CUP-1", initial_stock=2)

    with pytest.raises(InsufficientStock) as excinfo:
        adjust_stock(item, -3, Reason.SHIP)

    assert "CUP-1" in str(excinfo.value) and "现有 2 件" in str(excinfo.value)
    assert InventoryItem.objects.get(pk=item.pk).stock == 2
    assert item.movements.count() == 1


def test_zero_delta_is_a_programming_error():
    with pytest.raises(ValueError):
        adjust_stock(ItemFactory(), 0, Reason.ADJUST)


def test_stock_count_records_only_the_difference():
    item = ItemFactory(initial_stock=10)

    movement = set_counted_stock(item, 8, note="月末盘点")
    unchanged = set_counted_stock(item, 8)

    assert (movement.delta, movement.reason, movement.balance_after) == (-2, Reason.COUNT, 8)
    assert unchanged is None
    assert InventoryItem.objects.get(pk=item.pk).stock == 8


def test_database_refuses_negative_stock():
    item = ItemFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        InventoryItem.objects.filter(pk=item.pk).update(stock=-1)


def test_ledger_is_append_only():
    movement = ItemFactory(initial_stock=5).movements.get()
    movement.note = "改写历史"
    with pytest.raises(TypeError):
        movement.save()
    with pytest.raises(TypeError):
        movement.delete()
    assert StockMovement.objects.get(pk=movement.pk).note == "测试入库"


class TestAdjustStocks:
    """Many changes at once (a batch of shipments): one UPDATE per item, ledger rows in order."""

    def test_each_change_is_a_ledger_row_with_its_running_balance(self, clerk):
        cup, pen = ItemFactory(initial_stock=10), ItemFactory(initial_stock=3)
        changes = [
            StockChange(cup, -2, Reason.SHIP),
            StockChange(pen, -3, Reason.SHIP),
            StockChange(cup, 4, Reason.RESTOCK),
            StockChange(cup, -5, Reason.SHIP),
        ]

        with CaptureQueriesContext(connection) as ctx:
            movements = adjust_stocks(changes, user=clerk)

        updates = [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
        assert len(updates) == 2  # one per item, not one per change
        assert [(m.item_id, m.delta, m.balance_after) for m in movements] == [
            (cup.pk, -2, 8),
            (pen.pk, -3, 0),
            (cup.pk, 4, 12),
            (cup.pk, -5, 7),
        ]
        assert all(m.pk and m.created_by == clerk for m in movements)
        assert (cup.stock, pen.stock) == (7, 0)
        assert InventoryItem.objects.get(pk=cup.pk).stock == 7

    def test_a_later_restock_does_not_pay_for_an_earlier_shipment(self):
        item = ItemFactory(sku="CUP-2", initial_stock=1)

        with pytest.raises(InsufficientStock) as excinfo:
            adjust_stocks([StockChange(item, -2, Reason.SHIP), StockChange(item, 5, Reason.RESTOCK)])

        assert "需要 2 件，现有 1 件" in str(excinfo.value)
        assert InventoryItem.objects.get(pk=item.pk).stock == 1
        assert item.movements.count() == 1

    def test_one_short_item_changes_no_item(self):
        cup, pen = ItemFactory(initial_stock=5), ItemFactory(sku="PEN-1", initial_stock=1)

        with pytest.raises(InsufficientStock, match="PEN-1"):
            adjust_stocks([StockChange(cup, -1, Reason.SHIP), StockChange(pen, -2, Reason.SHIP)])

        assert [InventoryItem.objects.get(pk=i.pk).stock for i in (cup, pen)] == [5, 1]
        assert StockMovement.objects.count() == 2  # the two receipts only
