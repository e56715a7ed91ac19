"""Parcels shipped through the real services at chosen moments, for the report and dashboard tests."""

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

from orders import services
from orders.models import Parcel
from tests.factories import OrderFactory, carrier

SHANGHAI = ZoneInfo("Asia/Shanghai")
_seeds = itertools.count(1)
NUMBER_FORMATS = {"SF": "SF{:013d}", "ZTO": "7{:013d}", "YTO": "YT{:013d}"}


def shanghai(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def new_number(code="SF"):
    return NUMBER_FORMATS[code].format(next(_seeds))


def dated(parcel, at):
    """`parcel` as if handed over at `at` (shipped_at is a time, not a status: the services set it to now)."""
    Parcel.objects.filter(pk=parcel.pk).update(shipped_at=at)
    parcel.refresh_from_db()
    return parcel


def shipped_order(at, code="SF", user=None, **fields):
    """An order shipped whole in one parcel through ship_order, the parcel dated `at`."""
    order = OrderFactory(**fields)
    order.parcel = dated(services.ship_order(order, carrier(code), new_number(code), user=user), at)
    order.refresh_from_db()
    return order


def shipped_lines(at, lines, code="SF", user=None):
    """A parcel of `lines` ([(order line, units)]) shipped through ship_parcel, dated `at`."""
    return dated(services.ship_parcel(lines, carrier(code), new_number(code), user=user), at)
