"""The item's timeline: its edits from history and the stock corrections people made (the ledger)."""

from audit.timeline import TIMELINE_LIMIT, Entry, generic_entries
from inventory.models import StockMovement


def item_timeline(item):
    """The item's edits from its history plus its stock corrections from the ledger, newest first.

    Movements made by orders (shipping, undo, cancel) belong to the orders' timelines and the
    ledger list; here only what people did to the item itself: receipts, adjustments, counts.
    """

    def created(names, record):
        return [f"SKU：{record.sku}", f"产品名：{record.name}"]

    entries = generic_entries(item, "新增商品", created)
    movements = (
        StockMovement.objects.filter(item=item, order__isnull=True)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:TIMELINE_LIMIT]
    )
    entries.extend(_movement_entry(m) for m in movements)
    return sorted(entries, key=lambda e: e.when, reverse=True)[:TIMELINE_LIMIT]


def _movement_entry(movement):
    details = [f"变动后库存：{movement.balance_after}"]
    if movement.note:
        details.append(f"备注：{movement.note}")
    title = f"{movement.get_reason_display()} {movement.delta:+d} 件"
    return Entry(movement.created_at, title, movement.created_by, "stock", details)
