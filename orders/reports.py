"""The managers' figures: the daily shipping report (page, CSV, command) and the dashboard.

A "day" is a Shanghai calendar day. Days are turned into UTC bounds and filtered with
`shipped_at__gte/__lt`, which uses the shipped_at index and needs no time-zone tables in MySQL.
"""

import csv
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from inventory.models import InventoryItem
from inventory.selectors import low_stock_items
from oms.spreadsheet import BOM, escape_formula
from orders.models import Carrier, Order
from orders.privacy import mask_phone, short_address

OVERDUE_AFTER = timedelta(hours=48)
CHART_DAYS = 14
# Rows fetched per query while streaming the CSV: memory stays flat in the number of rows.
CSV_CHUNK_ROWS = 5000

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

# The order columns read for one row: plain values, so 100,000 rows cost no model instances,
# and no joins, so MySQL walks the shipped_at index in order instead of sorting a join.
# with_related_names() adds the item, carrier and operator columns.
ROW_VALUES = [
    "pk",
    "order_no",
    "customer_id",
    "item_id",
    "quantity",
    "receiver_name",
    "receiver_phone",
    "address",
    "carrier_id",
    "tracking_number",
    "shipped_at",
    "shipped_by_id",
]
EXPORT_VALUES = [*ROW_VALUES, "status", "created_at"]
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
    """'2026-11-24 08:05:09' in Shanghai time ('' for none)."""
    if not moment:
        return ""
    # isoformat is several times faster than strftime, which matters at 100,000 rows.
    return moment.astimezone(timezone.get_default_timezone()).isoformat(" ", "seconds")[:19]


# --- The report's rows -----------------------------------------------------------------------


def report_queryset():
    """Every order that has been shipped (cancelled-after-shipping ones keep their shipped_at)."""
    return Order.objects.filter(shipped_at__isnull=False)


def operator_name(values):
    full_name = f"{values['shipped_by__last_name']}{values['shipped_by__first_name']}".strip()
    return full_name or values["shipped_by__username"] or ""


def order_cells(values, *, full_receiver=False):
    """One order as the cells of a report row, in REPORT_HEADERS order.

    The one place that decides what a row shows: the report page, its CSV, the
    shipping_report command and the order export all build rows here. Phone and address are
    masked (PIPL, orders.privacy) unless `full_receiver`: only for users who may export them.
    """
    phone, address = values["receiver_phone"], values["address"]
    if not full_receiver:
        phone, address = mask_phone(phone), short_address(address)
    return [
        values["order_no"],
        values["customer_id"],
        values["item__name"],
        values["item__sku"],
        values["quantity"],
        values["receiver_name"],
        phone,
        address,
        values["carrier__name"] or "",
        values["tracking_number"],
        local_time_text(values["shipped_at"]),
        operator_name(values),
    ]


def export_cells(values, *, full_receiver=False):
    """A row of the order-list export: the report's cells, then status and order time."""
    return [
        *order_cells(values, full_receiver=full_receiver),
        STATUS_LABELS.get(values["status"], values["status"]),
        local_time_text(values["created_at"]),
    ]


def report_values(queryset):
    """The report's orders as value dicts (order columns only), in shipping order."""
    return queryset.order_by("shipped_at", "pk").values(*ROW_VALUES)


def _known(cache, queryset, ids):
    """`cache` (pk -> instance) completed with the instances of `ids` it lacks, in one query."""
    missing = ids - cache.keys() - {None}
    if missing:
        cache.update(queryset.in_bulk(missing))
    return cache


def with_related_names(rows, cache=None):
    """Add item__name/__sku, carrier__name and shipped_by__* to value dicts.

    At most three queries, fewer when `cache` (shared by the chunks of one export) already
    knows the items, carriers and users.
    """
    rows = list(rows)
    cache = {} if cache is None else cache
    items = _known(
        cache.setdefault("items", {}), InventoryItem.objects.only("name", "sku"), {row["item_id"] for row in rows}
    )
    carriers = _known(cache.setdefault("carriers", {}), Carrier.objects.all(), {row["carrier_id"] for row in rows})
    users = _known(
        cache.setdefault("users", {}),
        get_user_model().objects.only("username", "first_name", "last_name"),
        {row["shipped_by_id"] for row in rows},
    )
    for row in rows:
        item, carrier, user = (
            items.get(row["item_id"]),
            carriers.get(row["carrier_id"]),
            users.get(row["shipped_by_id"]),
        )
        row["item__name"], row["item__sku"] = (item.name, item.sku) if item else ("", "")
        row["carrier__name"] = carrier.name if carrier else ""
        row["shipped_by__username"] = user.get_username() if user else ""
        row["shipped_by__first_name"] = user.first_name if user else ""
        row["shipped_by__last_name"] = user.last_name if user else ""
    return rows


def iter_report_values(queryset, chunk_size=CSV_CHUNK_ROWS):
    """Like report_values() with related names, fetched in keyset chunks of (shipped_at, pk).

    QuerySet.iterator() would not do: mysqlclient buffers the whole result set in the client,
    so memory would grow with the rows. Each chunk is one range scan of the shipped_at index
    (the `shipped_at >= last` bound is what lets MySQL start there) plus three small lookups.
    """
    values = report_values(queryset)
    after, names = None, {}
    while True:
        chunk = values
        if after is not None:
            chunk = values.filter(shipped_at__gte=after[0]).filter(Q(shipped_at__gt=after[0]) | Q(pk__gt=after[1]))
        rows = with_related_names(chunk[:chunk_size], names)
        yield from rows
        if len(rows) < chunk_size:
            return
        after = (rows[-1]["shipped_at"], rows[-1]["pk"])


def daily_shipping_rows(queryset, *, full_receiver=False):
    """The report's rows (lists of cells, not yet escaped) for every order in `queryset`."""
    for values in iter_report_values(queryset):
        yield order_cells(values, full_receiver=full_receiver)


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


def shipping_report_csv(queryset, *, full_receiver=False):
    """The daily shipping report as CSV text chunks; the page and the command both stream this."""
    return iter_csv(daily_shipping_rows(queryset, full_receiver=full_receiver))


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
    counts = queryset.order_by().values("carrier_id").annotate(orders=Count("pk"), units=Sum("quantity"))
    rows = [{**row, "carrier": carrier} for carrier, row in _by_carrier_order(counts)]
    summary = CarrierSummary(rows, sum(r["orders"] for r in rows), sum(r["units"] for r in rows))
    for row in rows:
        row["carrier__name"] = row["carrier"].name if row["carrier"] else "（未选快递公司）"
        row["share"] = 100 * row["orders"] / summary.orders
    return summary


def _by_carrier_order(grouped_rows):
    """Pair rows grouped by carrier_id with their Carrier (None for none), in the carriers' order.

    Grouping on the order table alone and naming carriers afterwards keeps the aggregate a
    single-table scan of the shipped_at range.
    """
    rows = list(grouped_rows)
    carriers = Carrier.objects.in_bulk({row["carrier_id"] for row in rows} - {None})
    paired = [(carriers.get(row["carrier_id"]), row) for row in rows]
    return sorted(paired, key=lambda pair: (pair[0] is None, *((pair[0].sort_order, pair[0].code) if pair[0] else ())))


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
    """The admin index's cards and 14-day chart, in four queries whatever the volume."""
    now = now or timezone.now()
    today = local_date(now)
    pending = Order.objects.filter(status=Order.Status.PENDING).aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(created_at__lt=now - OVERDUE_AFTER))
    )
    days = [today - timedelta(days=back) for back in range(CHART_DAYS - 1, -1, -1)]
    # Each order's day as an index into `days` (the first day whose end is after shipped_at),
    # so the database groups by (carrier, day) in one pass over the covering index.
    day_index = Case(
        *[When(shipped_at__lt=day_start(day + timedelta(days=1)), then=Value(i)) for i, day in enumerate(days)],
        output_field=IntegerField(),
    )
    grouped = (
        shipped_on_days(Order.objects.filter(status=Order.Status.SHIPPED), days[0], today)
        .order_by()
        .annotate(day=day_index)
        .values("carrier_id", "day")
        .annotate(orders=Count("pk"))
    )
    per_carrier = {}
    for row in grouped:
        per_carrier.setdefault(row["carrier_id"], [0] * len(days))[row["day"]] = row["orders"]
    series = _by_carrier_order(
        {"carrier_id": carrier_id, "counts": counts} for carrier_id, counts in per_carrier.items()
    )
    return DashboardFigures(
        today=today,
        pending=pending["total"],
        overdue=pending["overdue"],
        shipped_today=sum(row["counts"][-1] for _carrier, row in series),
        low_stock=low_stock_items().count(),
        days=days,
        shipped_per_day=[
            (carrier.code if carrier else "", carrier.name if carrier else "（未选快递公司）", row["counts"])
            for carrier, row in series
        ],
    )
