"""Stock changes. `adjust_stock` is the only code that writes InventoryItem.stock."""

from django.db import transaction
from django.db.models import F

from inventory.models import InventoryItem, StockMovement


class InsufficientStock(Exception):
    """Raised when a change would take an item's stock below zero."""

    def __init__(self, item, requested, available):
        self.item = item
        self.requested = requested
        self.available = available
        super().__init__(
            f"SKU {item.sku}（{item.name}）库存不足：需要 {requested} 件，现有 {available} 件。请先补货或调整数量。"
        )


def adjust_stock(item, delta, reason, *, order=None, user=None, note=""):
    """Change `item`'s stock by `delta` and record it in the ledger, atomically.

    The conditional UPDATE is the guard against overselling: two transactions cannot both
    take the last unit, because the second one's `stock >= n` no longer holds.
    """
    if delta == 0:
        raise ValueError("delta must not be zero")
    with transaction.atomic():
        rows = InventoryItem.objects.filter(pk=item.pk)
        if delta < 0:
            rows = rows.filter(stock__gte=-delta)
        if not rows.update(stock=F("stock") + delta):
            available = InventoryItem.objects.filter(pk=item.pk).values_list("stock", flat=True).first()
            raise InsufficientStock(item, -delta, available or 0)
        # We hold the row's write lock until commit, so this read is our own balance.
        item.stock = InventoryItem.objects.filter(pk=item.pk).values_list("stock", flat=True).get()
        return StockMovement.objects.create(
            item=item,
            delta=delta,
            reason=reason,
            order=order,
            created_by=user,
            note=note,
            balance_after=item.stock,
        )


def set_counted_stock(item, counted, *, user=None, note=""):
    """Record a stock count: the difference to the books becomes one COUNT movement."""
    with transaction.atomic():
        current = InventoryItem.objects.select_for_update().values_list("stock", flat=True).get(pk=item.pk)
        if counted == current:
            item.stock = current
            return None
        return adjust_stock(item, counted - current, StockMovement.Reason.COUNT, user=user, note=note)
