"""Reads for orders that more than one part of the app needs."""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, models
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Upper
from django.utils import timezone

from inventory.models import InventoryItem, StockMovement
from orders.carriers import normalize_tracking_number
from orders.models import (
    AfterSaleCase,
    AfterSaleLine,
    Order,
    OrderHold,
    OrderLine,
    Parcel,
    ParcelLine,
    Shop,
    SkuMapping,
    SkuMappingComponent,
    receiver_key,
)
from orders.reports.days import day_start, local_date

# Keys per IN (...) list: SQLite allows 32,766 parameters a query, and a 20,000-row file may
# name 40,000 lines.
IN_CHUNK = 5000


# Parcel lines that count as shipped for their order line: handed over, and a sale (not a 补发).
SOLD = {"parcel__status": Parcel.Status.SHIPPED, "parcel__kind": Parcel.Kind.NORMAL}
# Parcel lines that hold units of their order line: live (shipped, or 已取号/已打印 waiting), a sale.
ALLOCATED = {"parcel__status__in": Parcel.LIVE, "parcel__kind": Parcel.Kind.NORMAL}


def chunked(values):
    """`values`, sorted and deduplicated, in lists of at most IN_CHUNK (the IN lists every query here uses)."""
    values = sorted(set(values))
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def shipped_quantities(line_pks):
    """{order line pk: units in shipped parcels} for `line_pks` (lines with none are left out).

    Sold units only: a 补发 parcel (Parcel.Kind.REISSUE) ships a line again without selling it again.
    """
    return _parcel_units(line_pks, SOLD)


def allocated_quantities(line_pks):
    """{order line pk: units in live parcels}: shipped, or in a parcel waiting to ship (已取号/已打印)."""
    return _parcel_units(line_pks, ALLOCATED)


def allocated_and_shipped(line_pks):
    """({line pk: units in live parcels}, {line pk: units in shipped ones}) for `line_pks`, one query a chunk."""
    allocated, shipped = {}, {}
    for chunk in chunked(line_pks):
        rows = (
            ParcelLine.objects.filter(line_id__in=chunk, **ALLOCATED)
            .values("line_id")
            .annotate(units=Sum("quantity"), out=Sum("quantity", filter=Q(parcel__status=Parcel.Status.SHIPPED)))
            .order_by()
        )
        for row in rows:
            allocated[row["line_id"]] = row["units"]
            if row["out"]:
                shipped[row["line_id"]] = row["out"]
    return allocated, shipped


def _parcel_units(line_pks, condition):
    units = {}
    for chunk in chunked(line_pks):
        rows = (
            ParcelLine.objects.filter(line_id__in=chunk, **condition)
            .values("line_id")
            .annotate(units=Sum("quantity"))
            .order_by()
        )
        units.update((row["line_id"], row["units"]) for row in rows)
    return units


def with_waiting_parcel(orders, stages=Parcel.UNSHIPPED):
    """The orders of `orders` (a queryset) with a parcel in one of `stages` (已取号, 已打印), by the status index."""
    waiting = ParcelLine.objects.filter(parcel__status__in=list(stages)).values("line__order_id")
    return orders.filter(pk__in=waiting)


def reserved_units(item_pks):
    """{item pk: units in parcels waiting to ship (已取号/已打印)}: on the shelf, but promised."""
    reserved = {}
    for chunk in chunked(item_pks):
        rows = (
            ParcelLine.objects.filter(parcel__status__in=Parcel.UNSHIPPED)
            .filter(Q(item_id__in=chunk) | Q(item__isnull=True, line__item_id__in=chunk))
            .annotate(stock_item=Coalesce("item_id", "line__item_id"))
            .values("stock_item")
            .annotate(units=Sum("quantity"))
            .order_by()
        )
        reserved.update((row["stock_item"], row["units"]) for row in rows)
    return reserved


def received_quantities(line_pks):
    """{order line pk: units counted back on its after-sales cases (良品 + 次品)} for `line_pks`."""
    received = {}
    for chunk in chunked(line_pks):
        rows = AfterSaleLine.objects.filter(line_id__in=chunk).values("line_id")
        rows = rows.annotate(units=Sum(F("good_quantity") + F("damaged_quantity"))).order_by()
        received.update((row["line_id"], row["units"]) for row in rows if row["units"])
    return received


def completed_refunds(line_pks):
    """{order line pk: units refunded by completed 仅退款 / 退货退款 cases} for `line_pks`."""
    rows = AfterSaleLine.objects.filter(
        line_id__in=list(line_pks), case__status=AfterSaleCase.Status.COMPLETED, case__kind__in=AfterSaleCase.REFUNDS
    )
    return dict(rows.values("line_id").annotate(units=Sum("quantity")).order_by().values_list("line_id", "units"))


def claimed_quantities(line_pks, kinds=None):
    """{order line pk: units named by after-sales cases (of `kinds`, default all) not rejected or cancelled}.

    A line's after-sales never exceed what can be claimed (orders.after_sales.create_case).
    """
    claimed = {}
    for chunk in chunked(line_pks):
        rows = AfterSaleLine.objects.filter(line_id__in=chunk).exclude(
            case__status__in=[AfterSaleCase.Status.REJECTED, AfterSaleCase.Status.CANCELLED]
        )
        if kinds is not None:
            rows = rows.filter(case__kind__in=kinds)
        rows = rows.values("line_id").annotate(units=Sum("quantity")).order_by()
        claimed.update((row["line_id"], row["units"]) for row in rows)
    return claimed


def case_by_return_number(number):
    """The case a return comes back to as `number` (退货单号, or an intercepted parcel's), or None.

    One still waiting for its goods comes first; else the latest other one (already received,
    closed), so the scan desk can say so rather than take the number for a new shipment.
    """
    number = normalize_tracking_number(number)
    if not number:
        return None
    cases = AfterSaleCase.objects.filter(return_tracking_number=number, kind__in=AfterSaleCase.RETURNS_GOODS)
    waiting = (AfterSaleCase.Status.PENDING, AfterSaleCase.Status.RETURNING)
    found = cases.select_related("order").order_by("pk")
    return found.filter(status__in=waiting).first() or found.order_by("-pk").first()


@dataclass
class AfterSaleLineRow:
    """One order line as 新建售后 shows it: how many, how many shipped, how many other cases name."""

    line: OrderLine
    shipped: int
    claimed: int


def after_sale_line_rows(order):
    """The order's lines with their shipped and claimed units, for 新建售后 (three queries)."""
    lines = list(order.lines.select_related("item").order_by("pk"))
    shipped = shipped_quantities(line.pk for line in lines)
    claimed = claimed_quantities(line.pk for line in lines)
    return [AfterSaleLineRow(line, shipped.get(line.pk, 0), claimed.get(line.pk, 0)) for line in lines]


def parcel_pks_of(order):
    """The pks of every parcel holding a line of `order` (the intercept choice, the timeline)."""
    return list(ParcelLine.objects.filter(line__order=order).values_list("parcel_id", flat=True).distinct())


def after_sales_of(order):
    """The order's cases, newest first, with their lines and items (two queries)."""
    lines = models.Prefetch("lines", AfterSaleLine.objects.select_related("line__item").order_by("pk"))
    return list(order.after_sales.select_related("created_by").prefetch_related(lines).order_by("-created_at", "-pk"))


def after_sale_steps(case):
    """Who did what and when on `case`, oldest first, as one line each (the case page's 经过)."""
    steps = [
        ("新建", case.created_at, case.created_by),
        ("登记退货单号", case.returning_at, case.returning_by),
        ("收货入库", case.received_at, case.received_by),
        (case.get_status_display() if case.status in AfterSaleCase.CLOSED else "关闭", case.closed_at, case.closed_by),
    ]
    return [
        f"{timezone.localtime(when):%Y-%m-%d %H:%M} {label}" + (f"（{who}）" if who else "")
        for label, when, who in steps
        if when
    ]


def remaining_lines(orders):
    """{order pk: [(line, units not yet in a live parcel), ...]} for `orders`, lines with nothing left omitted.

    What a new parcel may take. Three queries whatever the number of orders: the lines, their
    items, their sums in live parcels.
    """
    return _lines_left(orders, allocated_quantities)


def unshipped_lines(orders):
    """{order pk: [(line, units not yet shipped), ...]}: what is still on the shelf for `orders`,
    in a parcel waiting to ship (已取号/已打印) or in none yet. The pick list walks these."""
    return _lines_left(orders, shipped_quantities)


def _lines_left(orders, quantities):
    orders = list(orders)
    by_pk = {order.pk: order for order in orders}
    lines = [
        line
        for chunk in chunked(by_pk)
        for line in OrderLine.objects.filter(order_id__in=chunk).order_by("order_id", "pk")
    ]
    # One instance per item, not one per line: a 10,000-row file has a few hundred SKUs.
    items = InventoryItem.objects.in_bulk({line.item_id for line in lines})
    taken = quantities(line.pk for line in lines)
    remaining = {order.pk: [] for order in orders}
    for line in lines:
        line.order, line.item = by_pk[line.order_id], items[line.item_id]
        left = line.quantity - taken.get(line.pk, 0)
        if left > 0:
            remaining[line.order_id].append((line, left))
    return remaining


DIGITS = re.compile(r"\d+")
ASCII_WORD = re.compile(r"[A-Za-z0-9_-]+")
LETTERS = re.compile(r"[A-Za-z]+")


# --- Shops and order numbers -----------------------------------------------------------------
# An order number is unique per shop only: every path that is given a number finds its orders
# here, and decides what two shops' orders with one number mean for it (see README 多店铺).


def only_shop():
    """The one active shop when there is exactly one (the forms' default choice), else None."""
    shops = list(Shop.objects.filter(is_active=True)[:2])
    return shops[0] if len(shops) == 1 else None


def default_shop():
    """The shop of an order that names none: the only active shop, else 默认店铺 (made if missing)."""
    shop = only_shop()
    if shop is None:
        shop, _created = Shop.objects.get_or_create(name=Shop.DEFAULT_NAME)
    return shop


def has_several_shops():
    """Whether the list needs a shop column and filter (two rows read, never a COUNT of the table)."""
    return len(Shop.objects.values_list("pk", flat=True)[:2]) > 1


def order_no_key(order_no):
    """What two spellings of one order number have in common: no surrounding blanks, upper case."""
    return order_no.strip().upper()


def any_case_in(queryset, field, keys):
    """`queryset` filtered to rows whose `field` is one of the upper-case `keys`, in any case.

    MariaDB's _ci collation already compares so, and keeps the column's index; SQLite compares
    exactly, so there the column is compared through UPPER().
    """
    if connection.vendor == "mysql":
        return queryset.filter(**{f"{field}__in": keys})
    folded = f"{field.replace('__', '_')}_key"
    return queryset.annotate(**{folded: Upper(field)}).filter(**{f"{folded}__in": keys})


def orders_by_number(order_nos, *, shop=None):
    """{order_no_key: [Order, ...]}, one order per shop, for the numbers `order_nos` names (one query).

    Matched case-insensitively (issue 15 point 11: MariaDB's _ci collation already compares so,
    SQLite needs UPPER()); within `shop` when given, else in every shop, so a list of two or more
    means the number alone does not say which order is meant. Orders come with their shop.
    """
    keys = sorted({order_no_key(order_no) for order_no in order_nos if order_no and order_no.strip()})
    if not keys:
        return {}
    orders = Order.objects.select_related("shop")
    if shop is not None:
        orders = orders.filter(shop=shop)
    found = {}
    for order in any_case_in(orders, "order_no", keys).order_by("pk"):
        per_shop = found.setdefault(order_no_key(order.order_no), [])
        if all(other.shop_id != order.shop_id for other in per_shop):
            per_shop.append(order)
    return found


def ambiguous_number_message(order_no, orders):
    """The one wording for a number that names orders of several shops."""
    shops = "、".join(order.shop.name for order in orders)
    return f"订单号 {order_no} 在多个店铺都有（{shops}），无法确定是哪一单。请在导入页选择店铺，或在订单列表中处理。"


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
    """Lines of open orders whose units not yet shipped exceed their item's stock now (缺货).

    Units in a parcel waiting to ship (已取号/已打印) count too: they are still on the shelf.

    The one home of the rule. Each order is judged alone against current stock, nothing is
    reserved for older orders (SHORTAGE_RULE). `item.stock < quantity` is implied by the rule and
    cheap: it spares the shipped-units subquery for every line the stock covers whole.
    """
    shipped = (
        ParcelLine.objects.filter(line=OuterRef("pk"), **SOLD)
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


@dataclass(frozen=True)
class LineDrift:
    """One order line that breaks DESIGN.md rule 1 (see lines_with_shipping_drift)."""

    line_id: int
    order_no: str
    quantity: int
    units: int  # in shipped 正常 parcels
    taken: int  # what the ledger's ship/restock rows took for it
    received: int  # 良品 + 次品 counted back on its after-sales cases
    returned: int  # 良品 on those cases
    restocked: int  # what the ledger's 退货入库 rows put back for it
    allocated: int = 0  # in live 正常 parcels, shipped or waiting (已取号/已打印)


def _sums(rows, key, value):
    return dict(rows.values(key).annotate(total=Sum(value)).order_by().values_list(key, "total"))


def lines_with_shipping_drift():
    """Order lines that break DESIGN.md rule 1, as LineDrift rows, by line pk.

    A line's units in shipped 正常 parcels must lie between 0 and its quantity and equal what the
    ledger took for it (ship rows minus restock rows of 正常 parcels); with those waiting to ship
    (已取号/已打印) they cannot exceed its quantity; what came back on its
    after-sales cases (良品 + 次品) cannot exceed them, and its 良品 must equal the ledger's 退货入库
    rows for it (次品 writes no row: it is not sellable stock). Five grouped scans and one look-up
    per 1,000 suspects. 补发 parcels are checked by reissues_with_drift.
    """
    normal = {"parcel__kind": Parcel.Kind.NORMAL}
    shipped = _sums(ParcelLine.objects.filter(**SOLD), "line_id", "quantity")
    allocated = _sums(ParcelLine.objects.filter(**ALLOCATED), "line_id", "quantity")
    sale_rows = StockMovement.objects.filter(
        line__isnull=False, reason__in=[StockMovement.Reason.SHIP, StockMovement.Reason.RESTOCK], **normal
    )
    moved = _sums(sale_rows, "line_id", "delta")
    counted = AfterSaleLine.objects.filter(Q(good_quantity__gt=0) | Q(damaged_quantity__gt=0))
    received = _sums(counted, "line_id", F("good_quantity") + F("damaged_quantity"))
    returned = _sums(counted, "line_id", "good_quantity")
    restocked = _sums(
        StockMovement.objects.filter(line__isnull=False, reason=StockMovement.Reason.RETURN), "line_id", "delta"
    )
    keys = shipped.keys() | moved.keys() | received.keys() | restocked.keys()
    suspects = {
        pk
        for pk in keys
        if shipped.get(pk, 0) != -moved.get(pk, 0)
        or returned.get(pk, 0) != restocked.get(pk, 0)
        or received.get(pk, 0) > shipped.get(pk, 0)
    }
    suspects = sorted(suspects | allocated.keys())  # the quantity bound needs the line itself
    drift = []
    for start in range(0, len(suspects), 1000):
        rows = OrderLine.objects.filter(pk__in=suspects[start : start + 1000]).values_list(
            "pk", "order__order_no", "quantity"
        )
        for pk, order_no, quantity in rows:
            row = LineDrift(
                pk,
                order_no,
                quantity,
                shipped.get(pk, 0),
                -moved.get(pk, 0),
                received.get(pk, 0),
                returned.get(pk, 0),
                restocked.get(pk, 0),
                allocated.get(pk, 0),
            )
            if (
                row.units != row.taken
                or not 0 <= row.units <= row.allocated <= quantity
                or row.received > row.units
                or row.returned != row.restocked
            ):
                drift.append(row)
    return sorted(drift, key=lambda row: row.line_id)


def reissues_with_drift():
    """[(order line pk, item pk, units in live 补发 parcels, ledger moved)] where the two differ.

    A 补发 parcel line takes its item (ParcelLine.stock_item) when it ships (补发出库) and puts it
    back when voided (restock), exactly like a sale, but counts apart from the line's sold units.
    """
    reissue = {"parcel__kind": Parcel.Kind.REISSUE}
    item = Coalesce("item_id", "line__item_id")
    live = (
        ParcelLine.objects.filter(parcel__status=Parcel.Status.SHIPPED, **reissue)
        .annotate(stock_item=item)
        .values("line_id", "stock_item")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    units = {(row["line_id"], row["stock_item"]): row["total"] for row in live}
    rows = (
        StockMovement.objects.filter(line__isnull=False, **reissue)
        .values("line_id", "item_id")
        .annotate(total=Sum("delta"))
        .order_by()
    )
    moved = {(row["line_id"], row["item_id"]): -row["total"] for row in rows}
    return sorted(
        (line_id, item_id, units.get(key, 0), moved.get(key, 0))
        for key in units.keys() | moved.keys()
        if units.get(key, 0) != moved.get(key, 0)
        for line_id, item_id in [key]
    )


# --- Ship-by deadlines (承诺发货时间) ---------------------------------------------------------------
OPEN = (Order.Status.PENDING, Order.Status.PARTIAL)


class ShipByState(models.TextChoices):
    """Where an order stands against its ship-by time; the list filter's values and the badges' classes."""

    OVERDUE = "overdue", "已超时"
    DUE_TODAY = "today", "今天到期"
    OTHER = "other", "其他"


def end_of_today(now):
    """The moment the Shanghai day of `now` ends (DESIGN.md rule 6): the bound of 今天到期."""
    return day_start(local_date(now) + timedelta(days=1))


def ship_by_condition(state, now):
    """The orders in `state` at `now`: open and past ship_by; open and due before the Shanghai day ends; the rest."""
    overdue = Q(status__in=OPEN, ship_by__lt=now)
    due_today = Q(status__in=OPEN, ship_by__gte=now, ship_by__lt=end_of_today(now))
    if state == ShipByState.OVERDUE:
        return overdue
    if state == ShipByState.DUE_TODAY:
        return due_today
    return ~Q(status__in=OPEN) | Q(ship_by__isnull=True) | Q(ship_by__gte=end_of_today(now))


def ship_by_state(order, now, day_ends=None):
    """The ShipByState of one order (as ship_by_condition places it); a page of rows passes end_of_today(now)."""
    if order.status not in OPEN or order.ship_by is None:
        return ShipByState.OTHER
    if order.ship_by < now:
        return ShipByState.OVERDUE
    return ShipByState.DUE_TODAY if order.ship_by < (day_ends or end_of_today(now)) else ShipByState.OTHER


# --- 商家编码 (platform SKU codes, issue 17) ------------------------------------------------------
# A platform's export names a product by the shop's 商家编码; a SkuMapping says which items (×
# quantities) that is, else a code that is one of our SKUs stands for that item.


def platform_code_key(code):
    """What two spellings of one 商家编码 have in common: the same folding as order numbers (order_no_key)."""
    return order_no_key(code)


def sku_mappings_by_code(shop, codes, *, lock=False):
    """{platform_code_key: SkuMapping} of `shop` for `codes`, components (with items) prefetched.

    Two queries a chunk of IN_CHUNK codes. `lock` takes the mappings' rows FOR UPDATE, in pk order.
    """
    keys = {platform_code_key(code) for code in codes if code and code.strip()}
    components = SkuMappingComponent.objects.select_related("item").order_by("pk")
    found = {}
    for chunk in chunked(keys):
        mappings = any_case_in(SkuMapping.objects.filter(shop=shop), "platform_code", chunk).order_by("pk")
        if lock:
            mappings = mappings.select_for_update()
        for mapping in mappings.prefetch_related(models.Prefetch("components", queryset=components)):
            if platform_code_key(mapping.platform_code) in keys:  # MariaDB's collation may fold accents too
                found[platform_code_key(mapping.platform_code)] = mapping
    return found


def items_by_sku(skus):
    """{platform_code_key of the SKU: InventoryItem} for `skus`, any case (one query a chunk)."""
    keys = {platform_code_key(sku) for sku in skus if sku and sku.strip()}
    found = {}
    for chunk in chunked(keys):
        for item in any_case_in(InventoryItem.objects.all(), "sku", chunk).order_by("pk"):
            if platform_code_key(item.sku) in keys:
                found.setdefault(platform_code_key(item.sku), item)  # SQLite may hold "a-1" and "A-1": the older
    return found


def resolve_platform_codes(shop, codes):
    """{code: [(InventoryItem, quantity), ...]} for each of `codes` that names stock in `shop`.

    The shop's SkuMapping for the code when it has one (a 组合装 has several components), else
    the InventoryItem whose SKU is the code (× 1). Codes are compared without surrounding blanks
    (full-width ones too) and in any case (platform_code_key); the result is keyed by the codes
    as given, and unknown or blank ones are absent. Three queries whatever the number of codes
    (up to IN_CHUNK; one more set per IN_CHUNK beyond).
    """
    codes = [code for code in codes if code and code.strip()]
    mappings = sku_mappings_by_code(shop, codes)
    items = items_by_sku(code for code in codes if platform_code_key(code) not in mappings)
    resolved = {}
    for code in codes:
        key = platform_code_key(code)
        if key in mappings:
            resolved[code] = [(component.item, component.quantity) for component in mappings[key].components.all()]
        elif key in items:
            resolved[code] = [(items[key], 1)]
    return resolved


def components_text(components):
    """A mapping's components as the list shows them: "SKU-001 × 1 + SKU-002 × 2"."""
    return " + ".join(f"{item.sku} × {quantity}" for item, quantity in components)
