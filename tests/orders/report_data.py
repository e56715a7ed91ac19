"""Shipped orders at chosen moments, for the report and dashboard tests."""

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

from orders import services
from orders.models import Order
from tests.factories import OrderFactory, carrier

SHANGHAI = ZoneInfo("Asia/Shanghai")
_seeds = itertools.count(1)
NUMBER_FORMATS = {"SF": "SF{:013d}", "ZTO": "7{:013d}", "YTO": "YT{:013d}"}


def shanghai(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def shipped_order(at, code="SF", user=None, **fields):
    """An order shipped through the real service, then dated `at` (shipped_at is not a status)."""
    order = OrderFactory(**fields)
    services.ship_order(order, carrier(code), NUMBER_FORMATS[code].format(next(_seeds)), user=user)
    Order.objects.filter(pk=order.pk).update(shipped_at=at)
    order.refresh_from_db()
    return order
