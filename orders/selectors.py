"""Reads for orders that more than one part of the app needs."""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from inventory.models import InventoryItem, StockMovement
from orders.carriers import normalize_tracking_number
from orders.models import Order, OrderHold, OrderLine, Parcel, ParcelLine, receiver_key
from orders.services import remaining_lines

DIGITS = re.compile(r"\d+")
ASCII_WORD = re.compile(r"[A-Za-z0-9_-]+")
LETTERS = re.compile(r"[A-Za-z]+")


# Orders found by a tracking-number prefix that are listed by id in the order query (see below).
TRACKING_MATCHES_LISTED = 1000


def _tracking_number_starts(word):
    """Orders with a parcel whose number starts with `word`, as a condition on the order's pk.

    The matching order ids are read first (one indexed range on the parcel's number) and the
    order query gets them as a list: MariaDB cannot merge an index range with an `IN (SELECT …)`
    under OR, so with a subquery it walked the whole order table in list order looking for the
    one match (≈1.7 s at a million orders; with the list, a union of index ranges, a few ms). A
    short prefix matching more orders than TRACKING_MATCHES_LISTED stays a subquery: with that
    many matches the page's LIMIT is reached early. Never a join, so rows are never multiplied.
    istartswith, not startswith: numbers are stored normalised (upper case), and MariaDB's
    `LIKE BINARY` for startswith cannot use the column's index at all.
    """
    order_pks = (
        ParcelLine.objects.filter(parcel__tracking_number__istartswith=normalize_tracking_number(word))
        .order_by()
        .values_list("line__order_id", flat=True)
        .distinct()
    )
    listed = list(order_pks[: TRACKING_MATCHES_LISTED + 1])
    return Q(pk__in=listed if len(listed) <= TRACKING_MATCHES_LISTED else order_pks)


def order_search_filter(text):
    """The order list's search: each typed word matches the start of the fields it can be.

    Every branch is a prefix match on an indexed column (never LIKE '%…%'), chosen by the shape
    of the word: digits may be an order number, a tracking number (of any of the order's
    parcels, live or voided) or a phone; letters and digits an order or tracking number; a word
    with Chinese characters a receiver's name. Words are ANDed, like Django's own search.
    Returns None for an empty search.
    """
    query = None
    for word in text.split():
        if DIGITS.fullmatch(word):
            word_q = Q(order_no__istartswith=word) | _tracking_number_starts(word)
            # istartswith: digits have no case, and startswith's LIKE BINARY cannot use the index.
            word_q |= Q(receiver_phone__istartswith=word)
        elif ASCII_WORD.fullmatch(word):
            word_q = Q(order_no__istartswith=word) | _tracking_number_starts(word)
            if LETTERS.fullmatch(word):
                word_q |= Q(receiver_name__istartswith=word)
        else:
            word_q = Q(receiver_name__istartswith=word)
        query = word_q if query is None else query & word_q
    return query


def held(now=None):
    """A condition on Order: held (挂起) at `now`, i.e. with an active OrderHold (the 异常/挂起 queue)."""
    return Q(pk__in=OrderHold.objects.active(now).values("order_id"))


def mergeable_order_pks(orders):
    """The pks of the pending `orders` that another pending order of the same receiver could join (合并发货).

    One query for the page: the pending orders sharing a phone with the page's pending orders,
    grouped in Python by receiver_key (which folds blanks the way the services compare them).
    """
    pending = [order for order in orders if order.status == Order.Status.PENDING]
    if not pending:
        return set()
    rows = Order.objects.filter(
        status=Order.Status.PENDING, receiver_phone__in={order.receiver_phone for order in pending}
    ).only("pk", "receiver_name", "receiver_phone", "address")
    counts = Counter(receiver_key(order) for order in rows)
    return {order.pk for order in pending if counts[receiver_key(order)] > 1}


OPEN = (Order.Status.PENDING, Order.Status.PARTIAL)
# The one wording of how 缺货 is judged, for the list's tooltip and the scan desk.
SHORTAGE_RULE = "按当前库存逐单判断：每个订单单独和现有库存比较，不给其他订单预留，几个订单可能在等同一批库存。"


@dataclass(frozen=True)
class Shortage:
    """One line of an open order that current stock cannot cover: it wants `needed`, the shelf has `available`."""

    line_id: int
    sku: str
    needed: int
    available: int

    @property
    def missing(self):
        return self.needed - self.available

    def __str__(self):
        return f"{self.sku} 差 {self.missing}"


def short_lines():
    """Lines of open orders whose units not yet in a live parcel exceed their item's stock now (缺货).

    The one home of the rule. Each order is judged alone against current stock, nothing is
    reserved for older orders (SHORTAGE_RULE). `item.stock < quantity` is implied by the rule and
    cheap: it spares the shipped-units subquery for every line the stock covers whole.
    """
    shipped = (
        ParcelLine.objects.filter(line=OuterRef("pk"), parcel__status__in=Parcel.LIVE)
        .order_by()
        .values("line")
        .annotate(units=Sum("quantity"))
        .values("units")
    )
    return (
        OrderLine.objects.filter(order__status__in=OPEN, item__stock__lt=F("quantity"))
        .alias(left=F("quantity") - Coalesce(Subquery(shipped), Value(0)))
        .filter(left__gt=F("item__stock"))
    )


# Orders short of stock that the filters list by id (see short_order_pks).
SHORT_ORDERS_LISTED = 1000


def short_order_pks():
    """The pks of the open orders short of stock, as a list (or, beyond SHORT_ORDERS_LISTED, a subquery).

    Read first and handed to the page's query as a list: as a correlated EXISTS in the list's
    query, MariaDB turned it into a semi-join that walks every order by `created_at` (210 ms at
    100,000 orders with 15,000 open). Read alone, from all open orders, it cost 1.2-2 s at a million
    orders with 150,000 open; driven by the items that can be short, it reads their lines only
    (docs/BENCHMARKS.md, 缺货). The page then costs what the queue does.
    """
    # Only items that some line wants more of than their stock can be short: found by one dive per
    # item into (item, quantity), they drive the query, so it reads their lines, not every open order.
    largest_line = OrderLine.objects.filter(item=OuterRef("pk")).order_by("-quantity").values("quantity")[:1]
    items = list(InventoryItem.objects.filter(stock__lt=Subquery(largest_line)).values_list("pk", flat=True))
    lines = short_lines() if len(items) > SHORT_ORDERS_LISTED else short_lines().filter(item_id__in=items)
    pks = lines.order_by().values_list("order_id", flat=True).distinct()
    listed = list(pks[: SHORT_ORDERS_LISTED + 1])
    return listed if len(listed) <= SHORT_ORDERS_LISTED else pks


def short_of_stock(orders, short=None):
    """The orders of `orders` (a queryset) with at least one short line (the 缺货 filter).

    `short` is short_order_pks() when the caller already read it.
    """
    return orders.filter(pk__in=short_order_pks() if short is None else short)


def in_stock(orders, short=None):
    """The orders of `orders` with no short line (the 有货 filter; the scan desk's queue)."""
    return orders.exclude(pk__in=short_order_pks() if short is None else short)


def shortages_by_order(order_pks):
    """{order pk: [Shortage, ...]} for the open orders among `order_pks` that lack stock; one query."""
    found = defaultdict(list)
    rows = (
        short_lines()
        .filter(order_id__in=list(order_pks))
        .annotate(needed=F("left"))
        .order_by("order_id", "pk")
        .values_list("order_id", "pk", "item__sku", "needed", "item__stock")
    )
    for order_id, line_id, sku, needed, available in rows:
        found[order_id].append(Shortage(line_id, sku, needed, available))
    return dict(found)


def lines_in_stock(order):
    """What of `order` can ship now (发有货的商品): [(line, units left)] of its lines that are not short.

    Whole lines only: a line the stock covers in part waits whole, as its shortage says.
    """
    short = {shortage.line_id for shortage in shortages_by_order([order.pk]).get(order.pk, [])}
    return [(line, left) for line, left in remaining_lines([order])[order.pk] if line.pk not in short]


def lines_with_shipping_drift():
    """Order lines that break DESIGN.md rule 1: [(line pk, order no, quantity, in live parcels, ledger moved)].

    A line's units in live parcels must lie between 0 and its quantity and equal what the ledger
    took for it (ship rows minus restock rows). Two grouped scans and one look-up per 1,000 suspects.
    """
    shipped = dict(
        ParcelLine.objects.filter(parcel__status__in=Parcel.LIVE)
        .values("line_id")
        .annotate(units=Sum("quantity"))
        .order_by()
        .values_list("line_id", "units")
    )
    moved = dict(
        StockMovement.objects.filter(
            line__isnull=False, reason__in=[StockMovement.Reason.SHIP, StockMovement.Reason.RESTOCK]
        )
        .values("line_id")
        .annotate(units=Sum("delta"))
        .order_by()
        .values_list("line_id", "units")
    )
    suspects = sorted(pk for pk in shipped.keys() | moved.keys() if shipped.get(pk, 0) != -moved.get(pk, 0))
    suspects += sorted(shipped.keys() - set(suspects))  # the quantity bound needs the line itself
    drift = []
    for start in range(0, len(suspects), 1000):
        rows = OrderLine.objects.filter(pk__in=suspects[start : start + 1000]).values_list(
            "pk", "order__order_no", "quantity"
        )
        for pk, order_no, quantity in rows:
            units, taken = shipped.get(pk, 0), -moved.get(pk, 0)
            if units != taken or not 0 <= units <= quantity:
                drift.append((pk, order_no, quantity, units, taken))
    return sorted(drift)
