"""Reads for orders that more than one part of the app needs."""

import re
from collections import Counter

from django.db.models import Q, Sum

from inventory.models import StockMovement
from orders.carriers import normalize_tracking_number
from orders.models import Order, OrderHold, OrderLine, Parcel, ParcelLine, receiver_key

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
