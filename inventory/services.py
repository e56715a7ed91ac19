"""Stock changes. `adjust_stocks` is the only code that writes InventoryItem.stock."""

from dataclasses import dataclass
from itertools import accumulate

from django.db import transaction
from django.db.models import F

from inventory.models import InventoryItem, StockMovement


def shortage_message(item, requested, available, detail=""):
    """The one wording of "not enough stock", for the early checks and for the guard below.

    `detail` says where the units went, e.g. "本批前面的包裹已占用 2 件".
    """
    detail = f"（{detail}）" if detail else ""
    return (
        f"SKU {item.sku}（{item.name}）库存不足：需要 {requested} 件，现有 {available} 件{detail}。请先补货或调整数量。"
    )


def stock_shortages(needed):
    """Messages for the items whose stock (as loaded) cannot cover `needed` ({item: units}).

    The friendly early check for previews and forms; adjust_stocks stays the real guard.
    """
    return [shortage_message(item, units, item.stock) for item, units in needed.items() if units > item.stock]


class InsufficientStock(Exception):
    """Raised when a change would take an item's stock below zero."""

    def __init__(self, item, requested, available):
        self.item = item
        self.requested = requested
        self.available = available
        super().__init__(shortage_message(item, requested, available))


@dataclass
class StockChange:
    """One ledger line to write: `delta` units of `item`, for `reason`."""

    item: InventoryItem
    delta: int
    reason: str
    order: object = None
    note: str = ""
    parcel: object = None
    line: object = None


def adjust_stock(item, delta, reason, *, order=None, parcel=None, line=None, user=None, note=""):
    """Change `item`'s stock by `delta` and record it in the ledger, atomically; returns the movement."""
    change = StockChange(item, delta, reason, order=order, note=note, parcel=parcel, line=line)
    return adjust_stocks([change], user=user)[0]


def adjust_stocks(changes, *, user=None):
    """Apply `changes` (StockChange, in order) and write their ledger rows: all of them or none.

    One conditional UPDATE per item, one read of the new balances and one ledger insert, however
    many changes there are: a 10,000-row import costs what one item's change costs, per item.
    The conditional UPDATE is the guard against overselling: two transactions cannot both take
    the last unit, because the second one's `stock >= n` no longer holds. Raises
    InsufficientStock, naming the first item that cannot cover its changes.
    """
    if any(change.delta == 0 for change in changes):
        raise ValueError("delta must not be zero")
    by_item = {}
    for change in changes:
        by_item.setdefault(change.item.pk, []).append(change)
    with transaction.atomic():
        # Items in key order, so two batches never wait for each other's rows in a cycle.
        for pk in sorted(by_item):
            deltas = [change.delta for change in by_item[pk]]
            # Enough stock for the lowest point of the running balance: a restock later in the
            # batch does not pay for a shipment before it.
            needed = max(0, -min(accumulate(deltas)))
            rows = InventoryItem.objects.filter(pk=pk)
            if needed:
                rows = rows.filter(stock__gte=needed)
            if not rows.update(stock=F("stock") + sum(deltas)):
                available = InventoryItem.objects.filter(pk=pk).values_list("stock", flat=True).first()
                raise InsufficientStock(by_item[pk][0].item, needed, available or 0)
        # We hold the rows' write locks until commit, so these are our own balances.
        balances = dict(InventoryItem.objects.filter(pk__in=by_item).values_list("pk", "stock"))
        # Each item's balance before the batch, from which its ledger rows count on.
        running = {pk: balances[pk] - sum(change.delta for change in group) for pk, group in by_item.items()}
        movements = []
        for change in changes:
            change.item.stock = balances[change.item.pk]
            running[change.item.pk] += change.delta
            movements.append(
                StockMovement(
                    item=change.item,
                    delta=change.delta,
                    reason=change.reason,
                    order=change.order,
                    parcel=change.parcel,
                    line=change.line,
                    created_by=user,
                    note=change.note,
                    balance_after=running[change.item.pk],
                )
            )
        return StockMovement.objects.bulk_create(movements, batch_size=1000)


def set_counted_stock(item, counted, *, user=None, note=""):
    """Record one item's count (set_counted_stocks of one); returns its movement, or None if the books agree."""
    movements = set_counted_stocks([(item, counted)], user=user, note=note)
    return movements[0] if movements else None


def set_counted_stocks(counts, *, user=None, note=""):
    """Record a stock count of (item, counted) pairs: each difference to the books becomes one COUNT movement.

    The books are read under row locks, so a sale between the read and the write cannot make the
    count wrong. Items that agree with the books get no movement. Returns the movements.
    """
    with transaction.atomic():
        pks = [item.pk for item, _counted in counts]
        books = dict(InventoryItem.objects.select_for_update().filter(pk__in=pks).values_list("pk", "stock"))
        changes = []
        for item, counted in counts:
            item.stock = books[item.pk]
            if counted != item.stock:
                changes.append(StockChange(item, counted - item.stock, StockMovement.Reason.COUNT, note=note))
        return adjust_stocks(changes, user=user) if changes else []
