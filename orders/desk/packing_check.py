"""验货: on the scan desk, each item of a parcel is scanned before it ships.

The clerk scans the parcel's label (or its packing slip), then every item's barcode (69码, or
its SKU). Each scan counts one unit of a line; a wrong item or one too many is refused with an
error tone and counts nothing, and the parcel ships only when every line is counted, or on an
explicit 强制发货, which is recorded with what was not counted. Lines whose item has no barcode
cannot be scanned and count as checked (免验): without barcodes the desk works as before.

The check's state lives in the clerk's session as a small dict (see start_check); the lines are
read again from the database on every scan, so a parcel changed meanwhile is seen.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction

from inventory.models import InventoryItem
from orders import selectors, services
from orders.models import Order, PackingCheck, ParcelLine

FORCE_CODES = {"FORCE", "强制发货"}
# What a USB scale in keyboard mode types: a decimal number, optionally with its unit.
WEIGHT = re.compile(r"(\d{1,3}(?:\.\d{1,3})?)\s*(?:KG|千克|公斤)?", re.IGNORECASE)
WEIGHT_MAX = Decimal("999.999")


@dataclass
class CheckLine:
    """One line being checked: the item, how many the parcel needs, how many were scanned."""

    key: str
    item: InventoryItem
    needed: int
    scanned: int

    @property
    def exempt(self):
        """No barcode on the item: it cannot be scanned, so it is not asked for (免验)."""
        return not self.item.barcode

    @property
    def done(self):
        return self.exempt or self.scanned >= self.needed

    @property
    def left(self):
        return 0 if self.exempt else max(self.needed - self.scanned, 0)


def parse_weight(text):
    """(kg as a Decimal, None) for what a scale or a clerk typed, (None, Chinese problem), or (None, None) if blank."""
    text = (text or "").strip()
    if not text:
        return None, None
    match = WEIGHT.fullmatch(text.replace(" ", ""))
    try:
        weight = Decimal(match.group(1)) if match else None
    except InvalidOperation:
        weight = None
    if weight is None or not Decimal("0") < weight <= WEIGHT_MAX:
        return None, f"重量“{text}”不对：请填大于 0、不超过 999.999 的千克数，例如 1.25。"
    return weight, None


def looks_like_weight(code):
    """A scan that is a weight, not a number: digits with a decimal point or a unit (1.250, 0.8kg)."""
    return bool(WEIGHT.fullmatch(code.replace(" ", ""))) and ("." in code or not code[-1].isdigit())


def start_check(*, parcel=None, order=None):
    """The session state of a new check: of a parcel waiting to ship, or of an order's lines still to ship."""
    return {"parcel": parcel.pk if parcel else None, "order": order.pk if order else None, "counts": {}, "wrong": 0}


def check_lines(check):
    """The CheckLines of `check`: the parcel's lines, or the order's lines not yet in a parcel (two queries)."""
    if check is None:
        return []
    counts = check["counts"]
    if check["parcel"]:
        rows = ParcelLine.objects.filter(parcel_id=check["parcel"]).select_related("line__item", "item").order_by("pk")
        pairs = [(f"p{row.pk}", row.stock_item, row.quantity) for row in rows]
    else:
        order = check["order"]
        remaining = selectors.remaining_lines(Order.objects.filter(pk=order)).get(order, [])
        pairs = [(f"l{line.pk}", line.item, units) for line, units in remaining]
    return [CheckLine(key, item, needed, counts.get(key, 0)) for key, item, needed in pairs]


def is_complete(lines):
    return bool(lines) and all(line.done for line in lines)


def missing_text(lines):
    """'TS-WHT-L × 1、CUP-500 × 2': what a check did not count."""
    return "、".join(f"{line.item.sku} × {line.left}" for line in lines if line.left)


def find_item(code):
    """The item whose barcode (or, failing that, SKU) is `code`, or None (one or two queries)."""
    return item_by_barcode(code) or InventoryItem.objects.filter(sku__iexact=code).first()


def item_by_barcode(code):
    """The item whose barcode (69码, unique) is `code`, or None."""
    return InventoryItem.objects.filter(barcode=code).first()


def count_scan(check, lines, item):
    """Count one scanned `item` in `check` (in place). Returns (counted, Chinese message)."""
    wanted = [line for line in lines if line.item.pk == item.pk]
    if not wanted:
        check["wrong"] += 1
        return False, f"商品不对：{item.sku}（{item.name}）不在这个包裹里，请取出。"
    line = next((line for line in wanted if line.scanned < line.needed), None)
    if line is None:
        check["wrong"] += 1
        needed = sum(line.needed for line in wanted)
        return False, f"多了：{item.sku}（{item.name}）只要 {needed} 件，已扫够，请取出多的一件。"
    check["counts"][line.key] = line.scanned + 1
    line.scanned += 1
    left = sum(line.left for line in lines)
    if left:
        return True, f"已清点 {item.sku} {line.scanned}/{line.needed}，还差 {left} 件。"
    return True, f"已清点 {item.sku} {line.scanned}/{line.needed}，全部商品已清点。"


def ship_checked_parcel(parcel, check, lines, *, user, weight=None, forced=False):
    """Hand over the waiting `parcel` that `check` counted and record the check, in one transaction."""
    with transaction.atomic():
        (parcel,) = services.hand_over_parcels([parcel], user=user, weight=weight)
        record_check(parcel, check, lines, user=user, forced=forced)
    return parcel


def record_check(parcel, check, lines, *, user, forced):
    """The 验货记录 of a parcel that shipped after a check: complete, or forced with what was missing.

    None when nothing could be checked (no line's item has a barcode) and nothing was forced.
    """
    if not forced and all(line.exempt for line in lines):
        return None
    return PackingCheck.objects.create(
        parcel=parcel,
        checked_by=user,
        forced=forced,
        missing=missing_text(lines)[:500],
        wrong_scans=check["wrong"],
        scanned_units=sum(check["counts"].values()),
    )
