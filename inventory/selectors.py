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


def match_items(texts):
    """The item each product text names, by SKU or name, or None: [InventoryItem | None] in text order.

    An item matches when its SKU or name is inside the text (case-folded, blanks ignored) or the
    text is inside its name; the longest match wins and a tie between items is no match (the
    clerk picks). One query, whatever the number of texts.
    """
    keys = ["".join(text.split()).casefold() for text in texts]
    if not any(keys):
        return [None] * len(keys)
    best = [(0, None, False) for _ in keys]  # (length matched, item, tied)
    for item in InventoryItem.objects.only("pk", "sku", "name").order_by("pk").iterator(chunk_size=2000):
        sku, name = item.sku.casefold(), "".join(item.name.split()).casefold()
        for index, key in enumerate(keys):
            if not key:
                continue
            length = max(
                len(sku) if sku and sku in key else 0,
                len(name) if name and name in key else 0,
                len(key) if len(key) >= 2 and key in name else 0,
            )
            found, _item, _tied = best[index]
            if length > found:
                best[index] = (length, item, False)
            elif length and length == found:
                best[index] = (length, _item, True)
    return [None if tied else item for _length, item, tied in best]
