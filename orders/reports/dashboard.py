"""The admin index's figures (首页): open, 已超时, 今天到期 and held orders, parcels today, low stock, 14 days."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Case, Count, IntegerField, Value, When
from django.utils import timezone

from inventory.selectors import low_stock_items
from orders import selectors
from orders.models import Carrier, Order
from orders.reports.days import day_start, local_date
from orders.reports.shipping import shipped_parcels

CHART_DAYS = 14
OPEN = (Order.Status.PENDING, Order.Status.PARTIAL)


def overdue_orders(queryset, now):
    """Open orders (待发货 or 部分发货) whose ship-by time (承诺发货时间) is before `now` (已超时)."""
    return queryset.filter(selectors.ship_by_condition(selectors.ShipByState.OVERDUE, now))


@dataclass
class DashboardFigures:
    today: object
    open_orders: int
    overdue: int
    due_today: int
    held: int  # open orders with an active hold (异常/挂起)
    parcels_today: int
    low_stock: int
    days: list
    # [(carrier code, carrier name, [parcels shipped on each of `days`])], in the carriers' order
    parcels_per_day: list


def dashboard_figures(now=None, *, using=DEFAULT_DB_ALIAS):
    """The dashboard's cards and 14-day chart, in four queries on database `using` whatever the volume."""
    now = now or timezone.now()
    today = local_date(now)
    orders = (
        Order.objects.using(using)
        .filter(status__in=OPEN)
        .aggregate(
            total=Count("pk"),
            overdue=Count("pk", filter=selectors.ship_by_condition(selectors.ShipByState.OVERDUE, now)),
            due_today=Count("pk", filter=selectors.ship_by_condition(selectors.ShipByState.DUE_TODAY, now)),
            held=Count("pk", filter=selectors.held(now)),
        )
    )
    days = [today - timedelta(days=back) for back in range(CHART_DAYS - 1, -1, -1)]
    # Each parcel's day as an index into `days` (the first day whose end is after shipped_at),
    # so the database groups by (carrier, day) in one pass over the shipped_at range.
    day_index = Case(
        *[When(shipped_at__lt=day_start(day + timedelta(days=1)), then=Value(i)) for i, day in enumerate(days)],
        output_field=IntegerField(),
    )
    grouped = (
        shipped_parcels()
        .using(using)
        .filter(shipped_at__gte=day_start(days[0]), shipped_at__lt=day_start(today + timedelta(days=1)))
        .order_by()
        .annotate(day=day_index)
        .values("carrier_id", "day")
        .annotate(parcels=Count("pk"))
    )
    per_carrier = {}
    for row in grouped:
        per_carrier.setdefault(row["carrier_id"], [0] * len(days))[row["day"]] = row["parcels"]
    carriers = sorted(Carrier.objects.using(using).in_bulk(per_carrier).values(), key=lambda c: (c.sort_order, c.code))
    return DashboardFigures(
        today=today,
        open_orders=orders["total"],
        overdue=orders["overdue"],
        due_today=orders["due_today"],
        held=orders["held"],
        parcels_today=sum(counts[-1] for counts in per_carrier.values()),
        low_stock=low_stock_items().using(using).count(),
        days=days,
        parcels_per_day=[(carrier.code, carrier.name, per_carrier[carrier.pk]) for carrier in carriers],
    )
