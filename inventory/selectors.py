"""Read-only queries about stock."""

from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from inventory.models import InventoryItem, StockMovement


def items_with_ledger_drift():
    """Items whose stock differs from the sum of their ledger, with that sum annotated."""
    ledger_sum = (
        StockMovement.objects.filter(item=OuterRef("pk")).values("item").annotate(total=Sum("delta")).values("total")
    )
    return (
        InventoryItem.objects.annotate(ledger_total=Coalesce(Subquery(ledger_sum), Value(0)))
        .exclude(stock=F("ledger_total"))
        .order_by("sku")
    )


def low_stock_items():
    """Items at or below their warning level (预警库存), as the 低库存 list filter shows them."""
    return InventoryItem.objects.filter(stock__lte=F("low_stock_threshold"))
