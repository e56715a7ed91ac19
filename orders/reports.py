"""The managers' figures: the daily shipping report (page, CSV, command) and the dashboard.

A "day" is a Shanghai calendar day. Days are turned into UTC bounds and filtered with
`shipped_at__gte/__lt`, which uses the shipped_at index and needs no time-zone tables in MySQL.
"""

import csv
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from inventory.selectors import low_stock_items
from oms.spreadsheet import BOM, escape_formula
from orders.models import Order

OVERDUE_AFTER = timedelta(hours=48)
CHART_DAYS = 14
# Rows fetched per query while streaming the CSV: memory stays flat in the number of rows.
CSV_CHUNK_ROWS = 2000

REPORT_HEADERS = [
    "订单号",
    "用户ID",
    "产品名",
    "SKU",
    "数量",
    "收货人",
    "电话",
    "地址",
    "快递公司",
    "快递单号",
    "发货时间",
    "操作人",
]
EXPORT_HEADERS = [*REPORT_HEADERS, "发货状态", "下单时间"]

# The columns read for one row; plain values, so 100,000 rows cost no model instances.
ROW_VALUES = [
    "pk",
    "order_no",
    "customer_id",
    "item__name",
    "item__sku",
    "quantity",
    "receiver_name",
    "receiver_phone",
    "address",
    "carrier__name",
    "tracking_number",
    "shipped_at",
    "shipped_by__username",
    "shipped_by__first_name",
    "shipped_by__last_name",
    "status",
    "created_at",
]
STATUS_LABELS = dict(Order.Status.choices)


# --- Shanghai days ---------------------------------------------------------------------------


def local_date(moment):
    """The Shanghai calendar date of an aware datetime."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def day_start(day):
    """The aware datetime at which the Shanghai day `day` begins."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def shipped_on_days(queryset, date_from=None, date_to=None):
    """Orders whose shipped_at falls on the Shanghai days date_from..date_to (both included)."""
    if date_from:
        queryset = queryset.filter(shipped_at__gte=day_start(date_from))
    if date_to:
        queryset = queryset.filter(shipped_at__lt=day_start(date_to + timedelta(days=1)))
    return queryset


def local_time_text(moment):
    return timezone.localtime(moment, timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


# --- The report's rows -----------------------------------------------------------------------


def report_queryset():
    """Every order that has been shipped (cancelled-after-shipping ones keep their shipped_at)."""
    return Order.objects.filter(shipped_at__isnull=False)


def operator_name(values):
    full_name = f"{values['shipped_by__last_name']}{values['shipped_by__first_name']}".strip()
    return full_name or values["shipped_by__username"] or ""


def order_cells(values):
    """One order as the cells of a report row, in REPORT_HEADERS order.

    The one place that decides what a row shows: the report page, its CSV, the
    shipping_report command and the order export all build rows here.
    """
    return [
        values["order_no"],
        values["customer_id"],
        values["item__name"],
        values["item__sku"],
        values["quantity"],
        values["receiver_name"],
        values["receiver_phone"],
        values["address"],
        values["carrier__name"] or "",
        values["tracking_number"],
        local_time_text(values["shipped_at"]),
        operator_name(values),
    ]


def export_cells(values):
    """A row of the order-list export: the report's cells, then status and order time."""
    return [
        *order_cells(values),
        STATUS_LABELS.get(values["status"], values["status"]),
        local_time_text(values["created_at"]),
    ]


def report_values(queryset):
    """The report's orders as value dicts, in shipping order."""
    return queryset.order_by("shipped_at", "pk").values(*ROW_VALUES)


def iter_report_values(queryset, chunk_size=CSV_CHUNK_ROWS):
    """Like report_values(), fetched in keyset chunks of (shipped_at, pk).

    QuerySet.iterator() would not do: mysqlclient buffers the whole result set in the client,
    so memory would grow with the rows. Each chunk here is one indexed range query.
    """
    values = report_values(queryset)
    after = None
    while True:
        chunk = values
        if after is not None:
            chunk = values.filter(Q(shipped_at__gt=after[0]) | Q(shipped_at=after[0], pk__gt=after[1]))
        rows = list(chunk[:chunk_size])
        yield from rows
        if len(rows) < chunk_size:
            return
        after = (rows[-1]["shipped_at"], rows[-1]["pk"])


def daily_shipping_rows(queryset):
    """The report's rows (lists of cells, not yet escaped) for every order in `queryset`."""
    for values in iter_report_values(queryset):
        yield order_cells(values)


class _LineBuffer:
    """A write-only file for csv.writer whose text is collected between yields."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def take(self):
        text, self.parts = "".join(self.parts), []
        return text


def iter_csv(rows, headers=REPORT_HEADERS, chunk_rows=500):
    """A CSV for Excel as text chunks: BOM, Chinese headers, every cell formula-escaped."""
    buffer = _LineBuffer()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    yield BOM + buffer.take()
    pending = 0
    for row in rows:
        writer.writerow([escape_formula(cell) for cell in row])
        pending += 1
        if pending == chunk_rows:
            yield buffer.take()
            pending = 0
    if pending:
        yield buffer.take()


def shipping_report_csv(queryset):
    """The daily shipping report as CSV text chunks; the page and the command both stream this."""
    return iter_csv(daily_shipping_rows(queryset))


def csv_text(rows, headers):
    """A whole (small) CSV as one string, for tests and tools."""
    return "".join(iter_csv(rows, headers))


# --- The per-carrier summary ------------------------------------------------------------------


@dataclass
class CarrierSummary:
    rows: list = field(default_factory=list)
    orders: int = 0
    units: int = 0


def carrier_summary(queryset):
    """Orders and units per carrier, each carrier's share of the orders, and the totals."""
    rows = list(
        queryset.order_by()
        .values("carrier__code", "carrier__name", "carrier__sort_order")
        .annotate(orders=Count("pk"), units=Sum("quantity"))
        .order_by("carrier__sort_order", "carrier__code")
    )
    summary = CarrierSummary(rows, sum(r["orders"] for r in rows), sum(r["units"] for r in rows))
    for row in rows:
        row["carrier__name"] = row["carrier__name"] or "（未选快递公司）"
        row["share"] = 100 * row["orders"] / summary.orders
    return summary


# --- The dashboard ----------------------------------------------------------------------------


def overdue_orders(queryset, now):
    """Pending orders placed more than 48 hours before `now` (超过 48 小时未发货)."""
    return queryset.filter(status=Order.Status.PENDING, created_at__lt=now - OVERDUE_AFTER)


@dataclass
class DashboardFigures:
    today: object
    pending: int
    overdue: int
    shipped_today: int
    low_stock: int
    days: list
    # [(carrier code, carrier name, [orders shipped on each of `days`])]
    shipped_per_day: list


def dashboard_figures(now=None):
    """The admin index's cards and 14-day chart, in four aggregate queries whatever the volume."""
    now = now or timezone.now()
    today = local_date(now)
    pending = Order.objects.filter(status=Order.Status.PENDING).aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(created_at__lt=now - OVERDUE_AFTER))
    )
    shipped = Order.objects.filter(status=Order.Status.SHIPPED)
    shipped_today = shipped_on_days(shipped, today, today).count()
    days = [today - timedelta(days=back) for back in range(CHART_DAYS - 1, -1, -1)]
    per_day = {
        f"day{index}": Count(
            "pk", filter=Q(shipped_at__gte=day_start(day), shipped_at__lt=day_start(day + timedelta(days=1)))
        )
        for index, day in enumerate(days)
    }
    by_carrier = (
        shipped_on_days(shipped, days[0], today)
        .order_by()
        .values("carrier__code", "carrier__name", "carrier__sort_order")
        .annotate(**per_day)
        .order_by("carrier__sort_order", "carrier__code")
    )
    return DashboardFigures(
        today=today,
        pending=pending["total"],
        overdue=pending["overdue"],
        shipped_today=shipped_today,
        low_stock=low_stock_items().count(),
        days=days,
        shipped_per_day=[
            (row["carrier__code"], row["carrier__name"], [row[f"day{i}"] for i in range(len(days))])
            for row in by_carrier
        ],
    )
