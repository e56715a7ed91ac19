"""Reads for orders that more than one part of the app needs."""

import re

from django.db.models import Q, Sum

from inventory.models import StockMovement
from orders.models import Carrier, OrderLine, Parcel, ParcelLine

# What people leave off or add to a carrier's name: 顺丰 for 顺丰速运, 中通 for 中通快递.
CARRIER_NAME_SUFFIXES = ("速运", "速递", "快递", "快运", "物流", "快件", "公司")


def _carrier_key(text):
    return re.sub(r"[\s()（）]", "", str(text or "")).upper()


def _short_name(name):
    key = _carrier_key(name)
    for suffix in CARRIER_NAME_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            return key[: -len(suffix)]
    return key


class CarrierDirectory:
    """All carriers, read once, found by code or name as clerks and couriers' files write them.

    顺丰速运, 顺丰 and SF (any case, with or without spaces) all find the same carrier. A name
    that could mean two carriers finds none, so a file never ships with a guessed carrier.
    """

    def __init__(self, carriers=None):
        self.carriers = list(Carrier.objects.all() if carriers is None else carriers)
        found = {}
        for carrier in self.carriers:
            for key in {_carrier_key(carrier.code), _carrier_key(carrier.name), _short_name(carrier.name)}:
                found.setdefault(key, set()).add(carrier)
        self._by_key = {key: matches.pop() for key, matches in found.items() if len(matches) == 1}

    def find(self, text):
        """The carrier `text` names, or None."""
        key = _carrier_key(text)
        return self._by_key.get(key) or self._by_key.get(_short_name(key))

    def names(self):
        """The active carriers as a clerk would recognise them, for help texts."""
        return "、".join(f"{c.name}（{c.code}）" for c in self.carriers if c.is_active)


DIGITS = re.compile(r"\d+")
ASCII_WORD = re.compile(r"[A-Za-z0-9_-]+")
LETTERS = re.compile(r"[A-Za-z]+")


def order_search_filter(text):
    """The order list's search: each typed word matches the start of the fields it can be.

    Every branch is a prefix match on an indexed column (never LIKE '%…%'), chosen by the shape
    of the word: digits may be an order number, a tracking number or a phone; letters and digits
    an order or tracking number; a word with Chinese characters a receiver's name. Words are
    ANDed, like Django's own search. Returns None for an empty search.
    """
    query = None
    for word in text.split():
        if DIGITS.fullmatch(word):
            word_q = Q(order_no__istartswith=word) | Q(tracking_number__istartswith=word)
            word_q |= Q(receiver_phone__istartswith=word)
        elif ASCII_WORD.fullmatch(word):
            word_q = Q(order_no__istartswith=word) | Q(tracking_number__istartswith=word.upper())
            if LETTERS.fullmatch(word):
                word_q |= Q(receiver_name__istartswith=word)
        else:
            word_q = Q(receiver_name__istartswith=word)
        query = word_q if query is None else query & word_q
    return query


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
