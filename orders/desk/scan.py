"""扫码发货: what one scan means (switch order, ship, ask for the carrier) and the desk's undo.

The view is thin: it feeds the scanned code here and shows the result. Shipping and voiding go
through orders.services like every other path; this module only decides what a scan asks for.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Sum

from orders import after_sales, selectors, services
from orders.carriers import describe_guess_problem, guess_carriers, normalize_tracking_number
from orders.desk import packing_check
from orders.models import AfterSaleCase, Carrier, Order, OrderLine, Parcel, ParcelLine, receiver_key
from orders.selectors import ambiguous_number_message, order_no_key, orders_by_number

UNDO_CODES = {"UNDO", "撤销"}
SKIP_CODES = {"SKIP", "跳过"}
# Letters, digits and dashes with at least one digit: anything else is a misread, not a waybill.
PLAUSIBLE_NUMBER = re.compile(r"(?=.*\d)[0-9A-Z-]{6,40}")
OPEN = (Order.Status.PENDING, Order.Status.PARTIAL)
MERGE_HINT_LIMIT = 20


class Outcome(models.TextChoices):
    """What a scan did; the template's state class and scan.js's tones read the same values."""

    SWITCHED = "switched", "已切换订单"
    SHIPPED = "shipped", "已发货"
    CHOOSE = "choose", "请选择快递公司"
    UNDONE = "undone", "已撤销"
    SKIPPED = "skipped", "已跳过"
    RETURN = "return", "请清点退货"
    RECEIVED = "received", "已收货入库"
    CHECKING = "checking", "请逐件扫描商品"  # 验货: a check started
    COUNTED = "counted", "已清点"
    CHECKED = "checked", "验货完成"  # every line counted (or forced): the tracking number ships it
    WEIGHED = "weighed", "已称重"
    WRONG = "wrong", "商品不对"  # 验货: a wrong or surplus item, refused
    ERROR = "error", "出错"


@dataclass
class ScanResult:
    kind: str
    message: str
    order: Order | None = None
    number: str = ""
    candidates: list = field(default_factory=list)
    parcel: Parcel | None = None
    case: AfterSaleCase | None = None  # the return being counted (退货入库)
    check: dict | None = None  # 验货: the check to keep in the session (packing_check.start_check)
    weight: object = None  # 已称重: the weight the scale typed, for the next parcel
    handed_over: bool = False  # SHIPPED by scanning a waiting parcel's label (undo puts it back)

    @property
    def ok(self):
        return self.kind in {
            Outcome.SWITCHED,
            Outcome.SHIPPED,
            Outcome.UNDONE,
            Outcome.SKIPPED,
            Outcome.RETURN,
            Outcome.RECEIVED,
            Outcome.CHECKING,
            Outcome.COUNTED,
            Outcome.CHECKED,
            Outcome.WEIGHED,
        }


@dataclass
class DeskLine:
    """One line of the order on the desk: what it is, how many, how many already went out."""

    line: OrderLine
    shipped: int
    shortage: selectors.Shortage | None = None

    @property
    def left(self):
        return max(self.line.quantity - self.shipped, 0)


def normalize_code(code):
    """What a scanner or a keyboard typed: full-width characters folded (NFKC), blanks trimmed."""
    return unicodedata.normalize("NFKC", code or "").strip()


# The next order is looked for among the oldest open orders this many at a time, at most
# NEXT_ORDER_CHUNKS times, before the full 缺货 set decides (a queue mostly waiting for stock).
NEXT_ORDER_CHUNK = 50
NEXT_ORDER_CHUNKS = 10
# "N 单等待补货" is a hint, not a decision: read at most this often per process (the full 缺货 set
# costs ~0.7 s at a million orders on a cold buffer pool, too much for every scan).
WAITING_COUNT_KEY = "orders.desk.waiting_for_stock_count"
WAITING_COUNT_SECONDS = 30


def next_open_order(skipped=()):
    """The order the clerk should pack next: the oldest open one that stock covers, not held, not `skipped` (pks).

    Orders short of stock wait (waiting_for_stock_count); the clerk reaches them by their number.
    Walks the oldest open orders a chunk at a time, asking selectors.shortages_by_order about each
    chunk (one query for its lines), so a scan costs the queue's head, not the whole 缺货 set.
    """
    orders = (
        Order.objects.filter(status__in=OPEN)
        .exclude(selectors.held())
        .exclude(pk__in=list(skipped))
        .order_by("created_at", "id")
    )
    after = None
    for _ in range(NEXT_ORDER_CHUNKS):
        chunk = (
            orders
            if after is None
            else orders.filter(
                models.Q(created_at__gt=after.created_at) | models.Q(created_at=after.created_at, pk__gt=after.pk)
            )
        )
        batch = list(chunk[:NEXT_ORDER_CHUNK])
        if not batch:
            return None
        short = selectors.shortages_by_order([order.pk for order in batch])
        ready = next((order for order in batch if order.pk not in short), None)
        if ready is not None:
            return ready
        after = batch[-1]
    return selectors.in_stock(orders).first()


def waiting_for_stock_count():
    """How many open orders, not held, lack stock for a line (N 单等待补货), at most WAITING_COUNT_SECONDS old.

    A held order waits for its hold, not for stock: next_open_order skips it, so this count does too.
    """
    count = cache.get(WAITING_COUNT_KEY)
    if count is None:
        count = Order.objects.filter(pk__in=selectors.short_order_pks()).exclude(selectors.held()).count()
        cache.set(WAITING_COUNT_KEY, count, WAITING_COUNT_SECONDS)
    return count


class AmbiguousOrderNumber(Exception):
    """The number names orders of several shops: the desk refuses to guess which one."""


def find_order(order_no, shop_id=None):
    """The order with this order number (any case), in shop `shop_id` if given, or None.

    Raises AmbiguousOrderNumber, with the Chinese message, when the number is in several shops.
    """
    order_no = normalize_code(order_no)
    if not order_no:
        return None
    found = orders_by_number([order_no], shop=shop_id).get(order_no_key(order_no), [])
    if len(found) > 1:
        raise AmbiguousOrderNumber(ambiguous_number_message(order_no, found))
    return found[0] if found else None


def open_order_count():
    return Order.objects.filter(status__in=OPEN).count()


def desk_lines(order):
    """Every line of `order` with its item and the units already in live parcels (two queries)."""
    if order is None:
        return []
    lines = list(order.lines.select_related("item").order_by("pk"))
    shipped = selectors.shipped_quantities(line.pk for line in lines)
    short = {s.line_id: s for s in selectors.shortages_by_order([order.pk]).get(order.pk, [])}
    return [DeskLine(line, shipped.get(line.pk, 0), short.get(line.pk)) for line in lines]


def in_stock_text(lines):
    """'SKU-B × 1、SKU-C × 2' for [(line, units)]."""
    return "、".join(f"{line.item.sku} × {units}" for line, units in lines)


def open_orders_for_same_receiver(order):
    """Other open orders going to the same receiver (they can share the parcel: 合并发货), one query.

    Each carries `units`, its lines' total quantity.
    """
    if order is None:
        return []
    candidates = (
        Order.objects.filter(status__in=OPEN, receiver_phone=order.receiver_phone, receiver_name=order.receiver_name)
        .exclude(pk=order.pk)
        .annotate(units=Sum("lines__quantity"))
        .order_by("created_at", "id")[:MERGE_HINT_LIMIT]
    )
    return [other for other in candidates if receiver_key(other) == receiver_key(order)]


def parcel_order_nos(parcel):
    """The order numbers a parcel holds, oldest order first (one query)."""
    rows = (
        ParcelLine.objects.filter(parcel=parcel)
        .order_by("line__order__created_at", "line__order_id")
        .values_list("line__order__order_no", flat=True)
    )
    return list(dict.fromkeys(rows))


def parcel_version(parcel):
    """What the desk remembers of a parcel it shipped: its line ids. Lines added later change it."""
    return sorted(ParcelLine.objects.filter(parcel=parcel).values_list("pk", flat=True))


def shipped_message(order, parcel):
    text = f"已发货：订单 {order.order_no} · {parcel.carrier.name} {parcel.tracking_number}"
    others = [order_no for order_no in parcel_order_nos(parcel) if order_no != order.order_no]
    if others:
        text += f"（已与订单 {'、'.join(others)} 合并为一个包裹）"
    return text


def waiting_parcel(number):
    """The parcel waiting to ship (已取号/已打印) with this tracking number, or None; by the number's index."""
    return (
        Parcel.objects.select_related("carrier")
        .filter(tracking_number=number, status__in=Parcel.UNSHIPPED)
        .order_by("pk")
        .first()
    )


def waiting_parcel_of(order):
    """The first parcel of `order` waiting to ship, or None."""
    return (
        Parcel.objects.select_related("carrier")
        .filter(status__in=Parcel.UNSHIPPED, lines__line__order=order)
        .order_by("pk")
        .first()
    )


def checked_parcel(check):
    """The waiting parcel a check is of (with its carrier), or None."""
    if not check or not check["parcel"]:
        return None
    return Parcel.objects.select_related("carrier").filter(pk=check["parcel"]).first()


def first_order_of(parcel_pk):
    """The oldest order a parcel holds (the one the desk shows while the parcel is on it)."""
    return Order.objects.filter(lines__parcel_lines__parcel_id=parcel_pk).order_by("created_at", "pk").first()


def check_for(check, current, verify):
    """The check the desk works on: `check` while it is of `current` (or of a parcel), else a new one of
    `current`'s lines still to ship; None when 验货 is off."""
    if not verify:
        return None
    if check is not None and (check["parcel"] or (current is not None and check["order"] == current.pk)):
        return check
    if current is not None and current.is_open:
        return packing_check.start_check(order=current)
    return None


def carrier_candidates(number, carriers):
    """Carriers to offer when the number alone does not decide: those whose format it fits.

    A carrier without a number format is no candidate (it would be one for every number); such a
    carrier ships from the order list, where the clerk picks it by name.
    """
    guesses = guess_carriers(number, carriers)
    return guesses if len(guesses) > 1 else []


def handle_scan(code, *, current, user, carrier=None, in_stock_only=False, verify=False, check=None, weight=None):
    """Interpret one scan on the scan page.

    An order number switches to that order; the number of a return a case waits for (退货单号,
    or an intercepted parcel's) asks the clerk to count it (Outcome.RETURN, see receive_scanned_return);
    any other tracking number ships what is left of `current`
    in one parcel with the carrier guessed from it (or `carrier`, chosen by the clerk); the
    number of a live parcel of the same receiver adds to that parcel (合并发货). Several possible
    carriers → "choose". With `in_stock_only` (发有货的商品) the parcel takes only the lines that
    stock covers (selectors.lines_in_stock); the short ones stay to ship.

    The label of a parcel waiting to ship (已取号/已打印, 打印后扫描发货) ships that parcel. With
    `verify` (验货) the label starts a check of its items instead, and item barcodes count them
    (orders.desk.packing_check); the parcel, or `current`, ships once every line is counted or
    after 强制发货. `weight` (kg) goes on the parcel that ships; a scanned weight is kept for it.
    """
    code = normalize_code(code)
    check = check_for(check, current, verify)
    if not code:
        return ScanResult(Outcome.ERROR, "请扫描订单号或快递单号。", order=current, check=check)
    if code.upper() in packing_check.FORCE_CODES:
        return _force(check, current, user=user, weight=weight)
    if packing_check.looks_like_weight(code):
        scanned_weight, problem = packing_check.parse_weight(code)
        if problem:
            return ScanResult(Outcome.ERROR, problem, order=current, check=check)
        return ScanResult(
            Outcome.WEIGHED,
            f"重量 {scanned_weight} 千克，随下一个包裹保存。",
            order=current,
            check=check,
            weight=scanned_weight,
        )
    if check is not None:
        counted = _count_item(code, check, current, user=user, weight=weight)
        if counted is not None:
            return counted
    try:
        scanned_order = find_order(code)
    except AmbiguousOrderNumber as exc:
        return ScanResult(Outcome.ERROR, str(exc), order=current, check=check)
    if scanned_order is not None:
        note = "" if scanned_order.is_open else f"（该订单{scanned_order.get_status_display()}，不能再发货）"
        message = f"已切换到订单 {scanned_order.order_no}{note}"
        if verify and scanned_order.is_open:
            parcel = waiting_parcel_of(scanned_order)
            if parcel is not None:
                return _start_parcel_check(parcel, user=user, weight=weight)
            message += "，请逐件扫描商品条码验货"
        check = check_for(None, scanned_order, verify)
        return ScanResult(Outcome.SWITCHED, message, order=scanned_order, check=check)
    case = selectors.case_by_return_number(code)
    if case is not None and case.status in (AfterSaleCase.Status.PENDING, AfterSaleCase.Status.RETURNING):
        message = (
            f"退货：{case}（订单 {case.order.order_no}，{case.get_kind_display()}）。请清点良品和次品，回车确认入库。"
        )
        return ScanResult(Outcome.RETURN, message, order=current, case=case)
    if case is not None:
        message = (
            f"“{code}”是{case}（订单 {case.order.order_no}）的退货单号，该售后单{case.get_status_display()}，"
            "不能再收货，也不能用作发货单号。"
        )
        return ScanResult(Outcome.ERROR, message, order=current)
    number = normalize_tracking_number(code)
    parcel = waiting_parcel(number) if PLAUSIBLE_NUMBER.fullmatch(number) else None
    if parcel is not None:
        if verify:
            return _start_parcel_check(parcel, user=user, weight=weight)
        return _hand_over(parcel, user=user, weight=weight)
    item = packing_check.item_by_barcode(code) if PLAUSIBLE_NUMBER.fullmatch(number) else None
    # An item's barcode is never a tracking number. Every built-in carrier's pattern refuses a 69码
    # anyway, but the clerk was asked to choose a courier (none fits), and a carrier added with a
    # blank pattern would have taken it: say what was scanned instead.
    if item is not None:
        then = "请先扫描面单或订单号，再逐件扫描商品" if verify else "要逐件验货，请点“开启验货”"
        message = f"“{code}”是商品 {item.sku}（{item.name}）的条码，不是快递单号。{then}。"
        return ScanResult(Outcome.ERROR, message, order=current, check=check)
    if current is None:
        return ScanResult(Outcome.ERROR, f"找不到订单号“{code}”，当前也没有待发货的订单。")
    if not PLAUSIBLE_NUMBER.fullmatch(number):
        return ScanResult(
            Outcome.ERROR, f"“{code}”既不是订单号，也不像快递单号，请重新扫描。", order=current, check=check
        )
    if check is not None and check["parcel"]:
        message = f"正在验货的包裹还没发出：请继续扫描它的商品，或扫描“强制发货”。“{number}”未处理。"
        return ScanResult(Outcome.ERROR, message, order=current, check=check)
    lines = packing_check.check_lines(check)
    if lines and not check.get("forced") and not packing_check.is_complete(lines):
        message = (
            f"未发货：验货未完成，还差 {packing_check.missing_text(lines)}。"
            "请扫描这些商品的条码，或扫描“强制发货”后再扫快递单号。"
        )
        return ScanResult(Outcome.ERROR, message, order=current, number=number, check=check)
    if carrier is None:
        carriers = list(Carrier.objects.filter(is_active=True))
        guesses = guess_carriers(number, carriers)
        if len(guesses) == 1:
            carrier = guesses[0]
        else:
            candidates = carrier_candidates(number, carriers)
            if not candidates:
                message = f"“{code}”不是订单号，{describe_guess_problem(number, guesses)}"
                return ScanResult(Outcome.ERROR, message, order=current, number=number)
            message = f"快递单号“{number}”无法确定快递公司，请按数字键选择："
            return ScanResult(Outcome.CHOOSE, message, order=current, number=number, candidates=candidates, check=check)
    try:
        with transaction.atomic():
            if in_stock_only:
                in_stock = selectors.lines_in_stock(current) if current.is_open else []
                if not in_stock:
                    raise services.ShipmentRefused(
                        f"订单 {current.order_no} 没有现在有货的商品，请补货后再发或跳过此单。"
                    )
                parcel = services.ship_parcel(in_stock, carrier, number, user=user, weight=weight)
            else:
                parcel = services.ship_order(current, carrier, number, user=user, weight=weight)
            if check is not None:
                packing_check.record_check(parcel, check, lines, user=user, forced=bool(check.get("forced")))
    except (services.ShipmentRefused, services.InsufficientStock) as exc:
        current.refresh_from_db()
        message = "未发货：" + "；".join(services.error_messages(exc))
        short = not in_stock_only and current.is_open and selectors.shortages_by_order([current.pk])
        if short and (in_stock := selectors.lines_in_stock(current)):
            message += f"（可勾选“发有货的商品”，先发 {in_stock_text(in_stock)}）"
        return ScanResult(Outcome.ERROR, message, order=current, number=number, check=check)
    return ScanResult(Outcome.SHIPPED, shipped_message(current, parcel), order=current, number=number, parcel=parcel)


def _hand_over(parcel, *, user, weight, check=None, lines=(), forced=False):
    """Ship a waiting parcel whose label was scanned (after its check, when there is one)."""
    order = first_order_of(parcel.pk)
    try:
        if check is not None:
            parcel = packing_check.ship_checked_parcel(parcel, check, lines, user=user, weight=weight, forced=forced)
        else:
            (parcel,) = services.hand_over_parcels([parcel], user=user, weight=weight)
    except (services.ShipmentRefused, services.InsufficientStock) as exc:
        message = f"未发货：{parcel.carrier.name} {parcel.tracking_number}：" + "；".join(services.error_messages(exc))
        return ScanResult(Outcome.ERROR, message, order=order, number=parcel.tracking_number, check=check)
    if order is not None:
        order.refresh_from_db()
    message = shipped_message(order, parcel) if order else f"已发货：{parcel.carrier.name} {parcel.tracking_number}"
    if forced:
        message += f"（强制发货，未清点 {packing_check.missing_text(lines)}，已记入验货记录）"
    return ScanResult(
        Outcome.SHIPPED, message, order=order, number=parcel.tracking_number, parcel=parcel, handed_over=True
    )


def _start_parcel_check(parcel, *, user, weight):
    """验货 of a waiting parcel: its lines to scan; a parcel with nothing scannable (no barcodes) ships now."""
    check = packing_check.start_check(parcel=parcel)
    lines = packing_check.check_lines(check)
    if packing_check.is_complete(lines):
        return _hand_over(parcel, user=user, weight=weight, check=check, lines=lines)
    units = sum(line.left for line in lines)
    message = f"验货：{parcel.carrier.name} {parcel.tracking_number}，请逐件扫描商品条码（共 {units} 件）。"
    return ScanResult(Outcome.CHECKING, message, order=first_order_of(parcel.pk), check=check)


def _count_item(code, check, current, *, user, weight):
    """An item scanned during a check, or None when `code` is no item (it is then read as a number)."""
    item = packing_check.find_item(code)
    if item is None:
        return None
    lines = packing_check.check_lines(check)
    order = first_order_of(check["parcel"]) if check["parcel"] else current
    counted, message = packing_check.count_scan(check, lines, item)
    if not counted:
        return ScanResult(Outcome.WRONG, message, order=order, check=check)
    if not packing_check.is_complete(lines):
        return ScanResult(Outcome.COUNTED, message, order=order, check=check)
    if check["parcel"]:
        return _hand_over(
            Parcel.objects.select_related("carrier").get(pk=check["parcel"]),
            user=user,
            weight=weight,
            check=check,
            lines=lines,
        )
    return ScanResult(Outcome.CHECKED, message + "请扫描快递单号发货。", order=order, check=check)


def _force(check, current, *, user, weight):
    """强制发货: ship the parcel being checked as it is (recorded), or let `current` ship without its count."""
    if check is None:
        return ScanResult(Outcome.ERROR, "没有正在验货的包裹或订单，不需要强制发货。", order=current)
    lines = packing_check.check_lines(check)
    if check["parcel"]:
        parcel = Parcel.objects.select_related("carrier").get(pk=check["parcel"])
        return _hand_over(parcel, user=user, weight=weight, check=check, lines=lines, forced=True)
    check["forced"] = True
    missing = packing_check.missing_text(lines) or "无"
    message = f"已确认强制发货：请扫描快递单号发货（未清点 {missing}，将记入验货记录）。"
    return ScanResult(Outcome.CHECKED, message, order=current, check=check)


def undo_entry(result):
    """What the undo stack keeps of a shipment made here: the parcel, its version, the order scanned,
    and whether it was a waiting parcel handed over (undo then puts it back to wait, number kept)."""
    return {
        "parcel": result.parcel.pk,
        "lines": parcel_version(result.parcel),
        "order": result.order.pk if result.order else None,
        "handed_over": result.handed_over,
    }


def undo_scan(entry, *, user):
    """Void the parcel `entry` names (see undo_entry), only if it is still what this desk shipped.

    Refused when the parcel was voided meanwhile or when lines joined it since (another scan, another
    clerk): the desk never undoes a shipment it did not make. The scanned order becomes the current one.
    """
    order = Order.objects.filter(pk=entry["order"]).first()
    with transaction.atomic():
        # The parcel's orders, then the parcel, locked as void_parcel locks them: no lines join meanwhile.
        order_pks = sorted(
            set(ParcelLine.objects.filter(parcel_id=entry["parcel"]).values_list("line__order_id", flat=True))
        )
        list(Order.objects.select_for_update().filter(pk__in=order_pks).order_by("pk"))
        parcel = Parcel.objects.select_for_update().select_related("carrier").filter(pk=entry["parcel"]).first()
        if parcel is None:
            return ScanResult(Outcome.ERROR, "未撤销：这个包裹已不存在。", order=order)
        label = f"{parcel.carrier.name} {parcel.tracking_number}"
        if parcel.is_live and parcel_version(parcel) != entry["lines"]:
            message = (
                f"未撤销：包裹 {label} 在本页发货后又加入了订单商品（现含订单 {'、'.join(parcel_order_nos(parcel))}），"
                "请到订单页撤销此包裹。"
            )
            return ScanResult(Outcome.ERROR, message, order=order)
        order_nos = parcel_order_nos(parcel)
        try:
            if entry.get("handed_over"):
                services.return_parcel_to_waiting(parcel, user=user)
            else:
                services.void_parcel(parcel, user=user)
        except (services.ShipmentRefused, services.InsufficientStock) as exc:
            return ScanResult(Outcome.ERROR, "未撤销：" + "；".join(services.error_messages(exc)), order=order)
    if order is not None:
        order.refresh_from_db()
    if entry.get("handed_over"):
        message = f"已撤销发货：包裹 {label}（订单 {'、'.join(order_nos)}）回到“已打印”，库存已退回，单号保留。"
    else:
        message = f"已撤销包裹 {label}（订单 {'、'.join(order_nos)}），库存已退回。"
    return ScanResult(Outcome.UNDONE, message, order=order, parcel=parcel)


def last_parcel(entry):
    """The live parcel an undo entry names, with `order_nos` set, or None (one or two queries)."""
    if not entry:
        return None
    parcel = Parcel.objects.select_related("carrier").filter(pk=entry["parcel"], status__in=Parcel.LIVE).first()
    if parcel is not None:
        parcel.order_nos = parcel_order_nos(parcel)
    return parcel


def return_lines(case):
    """The case's lines with their items, for counting a return on the desk (one query)."""
    return list(case.lines.select_related("line__item").order_by("pk")) if case is not None else []


def read_counts(lines, data):
    """{case line pk: (良品, 次品)} from the desk's form (`good_<pk>`, `damaged_<pk>`), and the problems.

    A blank field counts 0; anything but a whole number is named, per SKU, in Chinese.
    """
    counts, problems = {}, []
    for case_line in lines:
        pair = []
        for field_name, label in (("good", "良品"), ("damaged", "次品")):
            text = normalize_code(data.get(f"{field_name}_{case_line.pk}", "")) or "0"
            if not text.isdigit():
                problems.append(f"SKU {case_line.line.item.sku} 的{label}数量“{text}”不是整数，请重新填写。")
                text = "0"
            pair.append(int(text))
        counts[case_line.pk] = tuple(pair)
    return counts, problems


def receive_scanned_return(case_pk, data, *, current, user):
    """退货入库 from the desk: count the return of case `case_pk` as `data` (the form) says.

    The counting itself is after_sales.receive_return's: 良品 back on the shelf, 次品 recorded.
    """
    case = AfterSaleCase.objects.select_related("order").filter(pk=case_pk).first()
    if case is None:
        return ScanResult(Outcome.ERROR, "未入库：这张售后单已不存在，请重新扫描退货单号。", order=current)
    lines = return_lines(case)
    counts, problems = read_counts(lines, data)
    try:
        if problems:
            raise after_sales.AfterSaleRefused(problems)
        received = after_sales.receive_return(case, counts, user=user)
    except (services.ShipmentRefused, services.InsufficientStock) as exc:
        message = "未入库：" + "；".join(services.error_messages(exc))
        case.refresh_from_db()
        # Still waiting to be counted: the form stays, with what the clerk typed, to correct it.
        waiting = case.status in (AfterSaleCase.Status.PENDING, AfterSaleCase.Status.RETURNING)
        return ScanResult(Outcome.ERROR, message, order=current, case=case if waiting else None)
    good = sum(line.good_quantity for line in received.received_lines)
    damaged = sum(line.damaged_quantity for line in received.received_lines)
    message = f"已收货入库：{received}（订单 {received.order.order_no}）良品 {good} 件已回库存"
    message += f"，次品 {damaged} 件已登记（不回库存）。" if damaged else "。"
    return ScanResult(Outcome.RECEIVED, message, order=current, case=received)
