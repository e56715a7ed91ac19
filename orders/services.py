"""Order workflows: the one door for shipping (DESIGN.md rule 3).

`check_shipments` decides, read-only: every problem of a proposed batch, one wording each.
`ship_order` / `ship_parcel` / `ship_orders` / `void_parcel` / `cancel_order` write: each locks
what it reads to decide, re-checks with `check_shipments`' rules, writes the parcels and the
orders' status and sends `parcels_shipped` / `parcels_voided`, whose one receiver moves the
stock (orders.signals). Every path that ships — the list, the order page, the scan desk,
paste-back, imports, e-waybills — calls these; `error_messages` is the one translator from a
refusal to what the user reads.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Length
from django.utils import timezone

from inventory.models import InventoryItem
from inventory.services import InsufficientStock, shortage_message
from inventory.validators import MAX_QUANTITY
from orders import selectors, signals
from orders.carriers import format_problem, normalize_tracking_number
from orders.models import (
    HoldRules,
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
from orders.selectors import (
    allocated_and_shipped,
    chunked,
    components_text,
    platform_code_key,
    remaining_lines,
    reserved_units,
    shipped_quantities,
)
from spreadsheets.resources import whole_number

__all__ = [
    "InsufficientStock",
    "MappingRefused",
    "Shipment",
    "ShipmentRefused",
    "ShipmentReview",
    "cancel_order",
    "check_platform_codes",
    "check_shipments",
    "create_orders",
    "error_messages",
    "hand_over_parcels",
    "held_message",
    "hold_order",
    "map_platform_code",
    "map_platform_codes",
    "mapping_unchanged",
    "mark_parcels_exported",
    "mark_parcels_printed",
    "nothing_left_message",
    "parsed_components",
    "prepare_orders",
    "release_hold",
    "release_holds",
    "return_parcel_to_waiting",
    "set_default_ship_by",
    "ship_order",
    "ship_orders",
    "ship_parcel",
    "ship_reissue_parcel",
    "unmap_platform_codes",
    "void_parcel",
]

STATUS = Order.Status
OPEN = (STATUS.PENDING, STATUS.PARTIAL)


class ShipmentRefused(ValidationError):
    """A shipping operation broke a rule; `messages` lists every problem, in Chinese. Nothing was written."""


def error_messages(exc):
    """The one translator from a domain error to the Chinese messages a user reads."""
    if isinstance(exc, ValidationError):
        return list(dict.fromkeys(exc.messages))
    if isinstance(exc, InsufficientStock):
        return [str(exc)]
    raise TypeError(f"not a domain error: {exc!r}")


# --- Deciding --------------------------------------------------------------------------------


@dataclass
class Shipment:
    """A proposed parcel: a carrier, a tracking number and the order lines it takes.

    `lines` is [(OrderLine, units), ...], possibly of several orders (合并发货) or part of one
    (拆单). `orders` are the orders it is meant to ship (by default those of its lines), so an
    order with nothing left to ship is named rather than silently dropped.
    """

    carrier: object
    tracking_number: str
    lines: list
    orders: list = field(default_factory=list)
    # 补发 (orders.after_sales.ship_reissue): `case` is the AfterSaleCase; `items`, one per line, the
    # InventoryItem that goes out (a 换货 may send another item than the line's own).
    kind: str = Parcel.Kind.NORMAL
    case: object = None
    items: list = field(default_factory=list)
    # False: 取号 only (打印后扫描发货): the parcel waits as 已取号 and moves no stock until
    # hand_over_parcels ships it.
    hand_over: bool = True
    weight: object = None  # kg (Decimal) a scale gave on the scan desk, kept on a new parcel

    def __post_init__(self):
        # None: the number is still to come (an e-waybill not bought yet); everything else is checked.
        if self.tracking_number is not None:
            self.tracking_number = normalize_tracking_number(self.tracking_number)
        if not self.orders:
            self.orders = list({line.order_id: line.order for line, _units in self.lines}.values())

    @property
    def key(self):
        return (self.carrier.pk if self.carrier else None, self.tracking_number)

    @property
    def is_reissue(self):
        return self.kind == Parcel.Kind.REISSUE

    def item_id(self, index):
        """The pk of the item the `index`-th line takes off the shelf."""
        return self.items[index].pk if self.items else self.lines[index][0].item_id

    def order_nos(self):
        return "、".join(order.order_no for order in self.orders)


@dataclass
class ShipmentReview:
    """What check_shipments found: per shipment, its problems and the live parcel it adds to."""

    shipments: list
    problems: list
    joins: list  # the live Parcel each shipment adds to (same number, same receiver), or None

    @property
    def ok(self):
        return not any(self.problems)

    def messages(self):
        """Every problem, each once, naming its order(s) where the batch has several shipments."""
        messages = []
        for shipment, problems in zip(self.shipments, self.problems, strict=True):
            for problem in problems:
                if len(self.shipments) > 1 and not problem.startswith("订单"):
                    problem = f"订单 {shipment.order_nos()}：{problem}"
                messages.append(problem)
        return list(dict.fromkeys(messages))


def number_in_use_message(number, order_nos):
    return (
        f"快递单号“{number}”已用于订单 {'、'.join(order_nos)}（收货人不同），请核对单号。同一收货人的订单才能合并发货。"
    )


def reissue_number_message(number, order_nos):
    return (
        f"快递单号“{number}”已用于订单 {'、'.join(order_nos)} 的另一个包裹，"
        "补发与正常发货不能共用一个包裹，请换一个单号。"
    )


def waiting_parcel_message(number, order_nos, *, hand_over):
    if hand_over:
        return (
            f"快递单号“{number}”是订单 {'、'.join(order_nos)} 已取号、尚未发货的包裹，"
            "请在扫码发货页扫描这张面单发货，不能再往里加商品。"
        )
    return f"快递单号“{number}”已用于订单 {'、'.join(order_nos)} 已发出的包裹，不能再取号装包。"


def check_shipments(shipments):
    """Every problem of the proposed `shipments` (read-only), see ShipmentReview.

    The rules, each with one wording: a carrier and a number that fits its format; orders that
    are still open and not held (挂起, see hold_order) and lines with enough left to ship; one
    receiver per parcel; a number of a live parcel only for that parcel's receiver (then the
    shipment joins it: 合并发货), the same within the batch; enough stock for the whole batch.
    """
    shipments = list(shipments)
    order_pks = {order.pk for shipment in shipments for order in shipment.orders}
    order_pks |= {line.order_id for shipment in shipments for line, _units in shipment.lines}
    return _review(shipments, Order.objects.in_bulk(order_pks), lock=False)


@dataclass
class _StoredLine:
    order: Order
    item_id: int
    quantity: int


def _review(shipments, stored_orders, *, lock):
    """check_shipments' rules against the rows as stored now; `stored_orders` {pk: Order} covers
    every order named (read under the caller's locks when writing)."""
    problems = [[] for _ in shipments]
    joins = [None] * len(shipments)

    line_pks = {line.pk for shipment in shipments for line, _units in shipment.lines}
    stored_lines = {}
    for chunk in chunked(line_pks):
        rows = OrderLine.objects.filter(pk__in=chunk).values_list("pk", "order_id", "item_id", "quantity")
        for pk, order_id, item_id, quantity in rows:
            stored_lines[pk] = _StoredLine(stored_orders.get(order_id), item_id, quantity)
    allocated, shipped = allocated_and_shipped(line_pks)
    items = InventoryItem.objects.in_bulk(
        {line.item_id for shipment in shipments for line, _units in shipment.lines}
        | {shipment.item_id(index) for shipment in shipments for index in range(len(shipment.lines))}
    )
    # Units promised to parcels waiting to ship (已取号/已打印) are on the shelf but not for sale.
    reserved = reserved_units(items)
    live = _live_parcels({s.key for s in shipments if s.tracking_number}, lock=lock)
    # Read after the orders' locks (when writing): a hold and a shipment of one order serialise.
    holds = active_holds(stored_orders)

    claimed = defaultdict(int)  # units of each line taken by earlier shipments of the batch
    needed = defaultdict(int)  # units of each item taken by the batch so far
    batch_numbers = {}  # (carrier, number) -> (receiver key, order numbers) of earlier shipments
    for index, shipment in enumerate(shipments):
        found = problems[index]
        found.extend(_carrier_problems(shipment))
        for order in shipment.orders:
            stored = stored_orders.get(order.pk)
            if stored is None:
                found.append(f"订单 {order.order_no} 已不存在。")
            elif refusal := _order_refusal(stored, holds, reissue=shipment.is_reissue):
                found.append(refusal)
            elif not any(line.order_id == order.pk for line, _units in shipment.lines):
                found.append(nothing_left_message(order))
        if not shipment.lines and not shipment.orders:
            found.append("包裹中没有商品。")
        for line, units in shipment.lines:
            stored = stored_lines.get(line.pk)
            if (
                stored is None
                or stored.order is None
                or (stored.item_id, stored.quantity) != (line.item_id, line.quantity)
            ):
                order_no = stored.order.order_no if stored and stored.order else shipment.order_nos()
                found.append(f"订单 {order_no} 的商品刚被修改，请刷新后重试。")
                continue
            order_no, sku = stored.order.order_no, items[line.item_id].sku
            left = stored.quantity - allocated.get(line.pk, 0) - claimed[line.pk]
            waiting = allocated.get(line.pk, 0) - shipped.get(line.pk, 0)
            if units <= 0:
                found.append(f"订单 {order_no}：SKU {sku} 的发货数量必须大于 0。")
            elif units > left and stored.order.status in OPEN and not shipment.is_reissue:  # a 补发 is not a sale
                in_waiting = f"（另有 {waiting} 件在已取号待发货的包裹中）" if waiting else ""
                found.append(
                    f"订单 {order_no}：SKU {sku} 还有 {max(left, 0)} 件未发货{in_waiting}，不能发 {units} 件。"
                )
            claimed[line.pk] += units
        receivers = {receiver_key(order) for order in shipment.orders}
        if len(receivers) > 1:
            found.append(f"订单 {shipment.order_nos()} 的收货人不同，不能放进同一个包裹。")
        if found:
            continue

        receiver = receivers.pop() if receivers else None
        parcel = live.get(shipment.key) if shipment.tracking_number is not None else None
        if parcel is not None:
            # The live parcel owns its number for the whole batch, not the first shipment that names it.
            batch_numbers.setdefault(shipment.key, (parcel.receiver, parcel.order_nos))
            if parcel.kind != shipment.kind:  # a 补发 never shares a parcel with a sale
                found.append(reissue_number_message(shipment.tracking_number, parcel.order_nos))
            elif parcel.is_shipped != shipment.hand_over:  # stock moves once per parcel, for all its lines
                found.append(
                    waiting_parcel_message(shipment.tracking_number, parcel.order_nos, hand_over=shipment.hand_over)
                )
            elif parcel.receiver == receiver:
                joins[index] = parcel
            else:
                found.append(number_in_use_message(shipment.tracking_number, parcel.order_nos))
        if found:
            continue
        earlier = batch_numbers.setdefault(shipment.key, (receiver, [o.order_no for o in shipment.orders]))
        if shipment.tracking_number is not None and earlier[0] != receiver:
            found.append(number_in_use_message(shipment.tracking_number, earlier[1]))
        if found:
            continue

        for index, (_line, units) in enumerate(shipment.lines):
            item = items[shipment.item_id(index)]
            before = needed[item.pk]
            needed[item.pk] += units
            promised = reserved.get(item.pk, 0)
            if needed[item.pk] > item.stock - promised:
                details = [f"已取号待发货的包裹占用 {promised} 件"] if promised else []
                details += [f"本批前面的包裹已占用 {before} 件"] if before else []
                found.append(shortage_message(item, needed[item.pk], item.stock, "，".join(details)))
    return ShipmentReview(shipments, problems, joins)


def _order_refusal(order, holds, *, reissue=False):
    """Why `order` (as stored, under the caller's lock) ships from nowhere now, or None: it is not
    open (a 补发 may follow a shipped order, not a cancelled one) or it is held (`holds`, active_holds')."""
    if order.status not in OPEN and not (reissue and order.status != STATUS.CANCELLED):
        return f"订单 {order.order_no} 当前为“{order.get_status_display()}”，不能发货。"
    if order.pk in holds:
        return held_message(order.order_no, holds[order.pk])
    return None


def nothing_left_message(order):
    """Why `order` has nothing to put in a parcel: all of it shipped, or waiting in parcels (已取号)."""
    waiting = list(
        Parcel.objects.filter(status__in=Parcel.UNSHIPPED, lines__line__order=order)
        .values_list("tracking_number", flat=True)
        .distinct()
    )
    if waiting:
        return (
            f"订单 {order.order_no} 的商品已装入待发货的包裹（快递单号 {'、'.join(waiting)}），"
            "在扫码发货页扫描面单即可发货。"
        )
    return f"订单 {order.order_no} 没有未发货的商品。"


def _carrier_problems(shipment):
    carrier, number = shipment.carrier, shipment.tracking_number
    problems = []
    if carrier is None:
        problems.append("请选择快递公司。")
    elif not carrier.is_active:
        problems.append(f"快递公司“{carrier.name}”已停用，请选择其他快递公司。")
    if number is None:  # to come (an e-waybill not bought yet): only the carrier can be checked now
        return problems
    if not number:
        problems.append("请填写快递单号。")
    elif carrier is not None and format_problem(carrier, number):
        problems.append(format_problem(carrier, number))
    return problems


def _live_parcels(keys, *, lock):
    """{(carrier pk, number): live Parcel} with `receiver` and `order_nos` set, for `keys` (carrier pk, number).

    Found through the live-number constraint's (carrier, live_number) index: by the number alone
    MariaDB reads, and with `lock` locks, every parcel (0.5 s per ship at 800,000 parcels).
    """
    keys = {(carrier_pk, number) for carrier_pk, number in keys if carrier_pk is not None}
    if not keys:
        return {}
    found = {}
    for chunk in chunked(keys):
        parcels = Parcel.objects.filter(
            carrier_id__in={carrier_pk for carrier_pk, _number in chunk}, live_number__in={n for _c, n in chunk}
        ).order_by("pk")
        found.update((parcel.pk, parcel) for parcel in (parcels.select_for_update() if lock else parcels))
    parcels = found
    for parcel in parcels.values():
        parcel.receiver, parcel.order_nos = None, []
    rows = (
        row
        for chunk in chunked(parcels)
        for row in ParcelLine.objects.filter(parcel_id__in=chunk)
        .select_related("line__order")
        .order_by("line__order__created_at", "line__order_id")
    )
    for row in rows:
        parcel, order = parcels[row.parcel_id], row.line.order
        parcel.receiver = receiver_key(order)
        if order.order_no not in parcel.order_nos:
            parcel.order_nos.append(order.order_no)
    return {(parcel.carrier_id, parcel.live_number): parcel for parcel in parcels.values()}


# --- Writing ---------------------------------------------------------------------------------


def ship_order(order, carrier, tracking_number, *, user=None, weight=None):
    """Ship everything of `order` not yet shipped in one parcel; returns the parcel."""
    return _orders_in_parcels([(order, carrier, tracking_number)], user=user, hand_over=True, weight=weight)[0]


def ship_parcel(lines, carrier, tracking_number, *, user=None, weight=None):
    """Ship `lines` ([(order_line, units), ...], of one order or of several to one receiver) as one parcel."""
    return _ship([Shipment(carrier, tracking_number, list(lines), weight=weight)], user=user)[0]


def ship_orders(shipments, *, user=None):
    """Ship each (order, carrier, tracking_number) of `shipments` whole: all of them or none.

    Orders sharing a carrier and number go into one parcel (they must share a receiver). Returns
    the parcel of each row of `shipments`, in order; each parcel's `added_lines` are the
    ParcelLines this call put in it (line, item and order loaded), for saying what shipped without
    reading it back. Raises ShipmentRefused (every problem) or InsufficientStock; either way
    nothing is written.
    """
    return _orders_in_parcels(shipments, user=user, hand_over=True)


def prepare_orders(shipments, *, user=None):
    """取号 without shipping (打印后扫描发货): like ship_orders, but each parcel waits as 已取号.

    The parcels hold the orders' remaining lines and own their numbers; no stock moves and the
    orders stay 待发货 until hand_over_parcels ships them (the scan desk, when the label is scanned).
    Every rule of ship_orders is checked now, and again at the hand-over.
    """
    return _orders_in_parcels(shipments, user=user, hand_over=False)


def _orders_in_parcels(shipments, *, user, hand_over, weight=None):
    shipments = list(shipments)
    if len({order.pk for order, _carrier, _number in shipments}) != len(shipments):
        raise ValueError("an order may be shipped only once per batch")
    remaining = remaining_lines(order for order, _carrier, _number in shipments)
    groups = {}
    for order, carrier, number in shipments:
        key = (carrier.pk if carrier else None, normalize_tracking_number(number))
        group = groups.setdefault(key, Shipment(carrier, number, [], orders=[], hand_over=hand_over, weight=weight))
        group.orders.append(order)
        group.lines.extend(remaining[order.pk])
    parcels = dict(zip(groups, _ship(list(groups.values()), user=user), strict=True))
    return [parcels[(c.pk if c else None, normalize_tracking_number(n))] for _o, c, n in shipments]


def ship_reissue_parcel(reissues, carrier, tracking_number, *, case, user=None):
    """Ship a 补发 parcel for after-sales `case`: `reissues` is [(order_line, item, units), ...].

    The same door as every shipment (check_shipments' rules, the signal's one stock receiver),
    but a reissue sells nothing: the lines' shipped units and the order's status stay as they
    were, and the ledger calls its rows 补发出库. Callers go through orders.after_sales.ship_reissue.
    """
    lines = [(line, units) for line, _item, units in reissues]
    items = [item for _line, item, _units in reissues]
    shipment = Shipment(carrier, tracking_number, lines, kind=Parcel.Kind.REISSUE, case=case, items=items)
    return _ship([shipment], user=user)[0]


def _ship(shipments, *, user):
    """Write `shipments` as parcels (or additions to live parcels), then let the receiver move stock."""
    if any(shipment.tracking_number is None for shipment in shipments):
        raise ValueError("a parcel ships with its tracking number")
    with transaction.atomic():
        order_pks = {order.pk for shipment in shipments for order in shipment.orders}
        orders = lock_orders(order_pks | {line.order_id for s in shipments for line, _units in s.lines})
        review = _review(shipments, orders, lock=True)
        if not review.ok:
            raise ShipmentRefused(review.messages())
        now = timezone.now()
        parcels = _new_parcels([(s, join) for s, join in zip(shipments, review.joins, strict=True)], user=user, now=now)
        added = []
        for parcel in parcels:
            parcel.added_lines = []
        for shipment, parcel in zip(shipments, parcels, strict=True):
            new = [
                ParcelLine(parcel=parcel, line=line, quantity=units, item=_other_item(shipment, index, line))
                for index, (line, units) in enumerate(shipment.lines)
            ]
            parcel.added_lines.extend(new)
            added.extend(new)
        ParcelLine.objects.bulk_create(added, batch_size=1000)
        for parcel_line in added:
            parcel_line.line.order = orders[parcel_line.line.order_id]
        shipped = [line for line in added if line.parcel.is_shipped]
        if shipped:
            shipped_parcels = _unique(line.parcel for line in shipped)
            signals.parcels_shipped.send(sender=Parcel, parcels=shipped_parcels, lines=shipped, user=user)
        _refresh_statuses(orders.values(), user=user, now=now)
    return parcels


def _other_item(shipment, index, line):
    """The item a 补发 line sends when it is not the line's own (换货 to another item), else None."""
    item = shipment.items[index] if shipment.items else None
    return item if item is not None and item.pk != line.item_id else None


def _new_parcels(pairs, *, user, now):
    """The parcel of each (shipment, join) pair: the joined live parcel, or a new one written here.

    The live-number constraint is the real guard: when another clerk's parcel took a number
    between the check and the insert, the shipment joins it (same receiver) or is refused.
    """
    created = {}
    parcels = []
    for shipment, join in pairs:
        if join is None and shipment.key not in created:
            created[shipment.key] = Parcel(
                carrier=shipment.carrier,
                tracking_number=shipment.tracking_number,
                live_number=shipment.tracking_number,
                status=Parcel.Status.SHIPPED if shipment.hand_over else Parcel.Status.NUMBERED,
                kind=shipment.kind,
                after_sale=shipment.case,
                shipped_at=now if shipment.hand_over else None,
                shipped_by=user if shipment.hand_over else None,
                weight=shipment.weight,
                created_at=now,
            )
        parcels.append(join or created[shipment.key])
    new = list(created.values())
    try:
        with transaction.atomic():
            Parcel.objects.bulk_create(new, batch_size=1000)
    except IntegrityError:
        return _new_parcels_one_by_one(pairs, created, user=user, now=now)
    _fill_missing_pks(new)
    return parcels


def _new_parcels_one_by_one(pairs, created, *, user, now):
    """After a lost race for a number: insert each new parcel alone, joining or refusing the winner's."""
    parcels = []
    for shipment, join in pairs:
        if join is None:
            parcel = created[shipment.key]
            if parcel.pk is None:
                try:
                    with transaction.atomic():
                        parcel.save(force_insert=True)
                except IntegrityError:
                    parcel.pk = None
                    winner = _live_parcels({shipment.key}, lock=True).get(shipment.key)
                    if winner is None:
                        raise
                    if winner.kind != shipment.kind:  # a 补发 never shares a parcel with a sale
                        raise ShipmentRefused(
                            reissue_number_message(shipment.tracking_number, winner.order_nos)
                        ) from None
                    if winner.is_shipped != shipment.hand_over:
                        raise ShipmentRefused(
                            waiting_parcel_message(
                                shipment.tracking_number, winner.order_nos, hand_over=shipment.hand_over
                            )
                        ) from None
                    if winner.receiver != receiver_key(shipment.orders[0]):
                        raise ShipmentRefused(
                            number_in_use_message(shipment.tracking_number, winner.order_nos)
                        ) from None
                    created[shipment.key] = parcel = winner
            join = parcel
        parcels.append(join)
    return parcels


def _fill_missing_pks(parcels):
    """MySQL's bulk insert returns no ids: read them back by the live-number key."""
    missing = [parcel for parcel in parcels if parcel.pk is None]
    if not missing:
        return
    rows = Parcel.objects.filter(
        carrier_id__in={p.carrier_id for p in missing}, live_number__in=[p.live_number for p in missing]
    ).values_list("pk", "carrier_id", "live_number")
    ids = {(carrier_id, number): pk for pk, carrier_id, number in rows}
    for parcel in missing:
        parcel.pk = ids[(parcel.carrier_id, parcel.live_number)]


def void_parcel(parcel, *, user=None):
    """Undo a shipment (撤销发货): the parcel is voided, its lines' units go back to stock.

    A parcel still waiting to ship (已取号/已打印) took no stock and puts none back; its lines are
    free for another parcel. A parcel already voided is refused and moves nothing. Returns the
    voided parcel; its `voided_lines` are its ParcelLines (line, item and order loaded, the orders
    with their status after the void) and `restocked` says whether their units went back to stock.
    """
    with transaction.atomic():
        orders, parcels, lines = _lock_parcels([parcel.pk])
        if not parcels:
            raise ShipmentRefused("包裹不存在，可能已被删除。")
        (locked,) = parcels
        if locked.status == Parcel.Status.VOIDED:
            raise ShipmentRefused(f"包裹已撤销：快递单号 {locked.tracking_number} 此前已撤销，库存不会再次退回。")
        was_shipped = locked.is_shipped
        if locked.kind == Parcel.Kind.NORMAL and was_shipped:
            problems = _returned_beyond_void(lines)
            if problems:
                raise ShipmentRefused(problems)
        now = timezone.now()
        locked.status, locked.live_number = Parcel.Status.VOIDED, None
        locked.voided_at, locked.voided_by = now, user
        locked.save(update_fields=["status", "live_number", "voided_at", "voided_by"])
        locked.voided_lines, locked.restocked = lines, was_shipped
        signals.parcels_voided.send(sender=Parcel, parcels=[locked], lines=lines if was_shipped else [], user=user)
        _refresh_statuses(orders.values(), user=user, now=now)
    return locked


def _lock_parcels(pks):
    """Lock the orders of parcels `pks`, then the parcels, and read their lines: (orders {pk: Order},
    parcels by pk, lines with .parcel, .line.item and .line.order set). Orders first, as in
    shipping, so a void and a shipment never wait for each other in a cycle; an order that joined a
    parcel after its orders were read is locked too. Call inside a transaction."""
    order_pks = set(ParcelLine.objects.filter(parcel_id__in=pks).values_list("line__order_id", flat=True))
    orders = lock_orders(order_pks)
    parcels = list(Parcel.objects.select_for_update().select_related("carrier").filter(pk__in=pks).order_by("pk"))
    lines = list(
        ParcelLine.objects.filter(parcel_id__in=pks).select_related("line__item", "item").order_by("parcel_id", "pk")
    )
    late = {pl.line.order_id for pl in lines} - orders.keys()
    if late:
        orders.update(lock_orders(late))
    by_pk = {parcel.pk: parcel for parcel in parcels}
    for parcel_line in lines:
        parcel_line.parcel = by_pk[parcel_line.parcel_id]
        parcel_line.line.order = orders[parcel_line.line.order_id]
    return orders, parcels, lines


def mark_parcels_exported(parcels, *, user=None):
    """Record that `parcels` (Parcel instances or pks) went out in a 发货回传 file now, by `user`.

    One UPDATE; a parcel voided meanwhile is not marked (its number is no longer true). Returns
    (parcels marked, the time written). Call it in the transaction that builds the file, so a file
    that fails to build marks nothing.
    """
    pks = [parcel.pk if isinstance(parcel, Parcel) else parcel for parcel in parcels]
    now = timezone.now()
    marked = Parcel.objects.filter(pk__in=pks, status=Parcel.Status.SHIPPED).update(
        platform_exported_at=now, platform_exported_by=user
    )
    return marked, now


def hand_over_parcels(parcels, *, user=None, weight=None):
    """Ship parcels that waited as 已取号/已打印 (the scan desk, when their label is scanned).

    Their lines take their units off stock now (the parcels_shipped receiver), the orders' status
    follows. Checked again under the locks: a hold put on meanwhile (退款中, 拦截), a cancelled
    order or a shelf that ran out refuses the parcel, with every problem. `weight` (kg, a
    Decimal) is stored on each. Returns the parcels.
    """
    pks = sorted({parcel.pk for parcel in parcels})
    with transaction.atomic():
        orders, locked, lines = _lock_parcels(pks)
        problems = _hand_over_problems(locked, lines, orders)
        if len(locked) != len(pks):
            problems.insert(0, "包裹不存在，可能已被删除。")
        if problems:
            raise ShipmentRefused(problems)
        now = timezone.now()
        for parcel in locked:
            parcel.status, parcel.shipped_at, parcel.shipped_by = Parcel.Status.SHIPPED, now, user
            if weight is not None:
                parcel.weight = weight
        Parcel.objects.bulk_update(locked, ["status", "shipped_at", "shipped_by", "weight"])
        signals.parcels_shipped.send(sender=Parcel, parcels=locked, lines=lines, user=user)
        _refresh_statuses(orders.values(), user=user, now=now)
    return locked


def return_parcel_to_waiting(parcel, *, user=None):
    """Undo a hand-over (the scan desk's 撤销 after scanning a waiting parcel's label): the parcel is
    已打印 again, its units back on stock, its number and e-waybill kept for the next scan.

    The ledger writes its restock rows and parcels_voided is sent, as for a void: the shipment is
    undone. Refused for a parcel that is not shipped.
    """
    with transaction.atomic():
        orders, parcels, lines = _lock_parcels([parcel.pk])
        locked = parcels[0] if parcels else None
        if locked is None or locked.status != Parcel.Status.SHIPPED:
            raise ShipmentRefused(f"包裹 {parcel.tracking_number} 不是已发货状态，不能退回待发货。")
        problems = _returned_beyond_void(lines) if locked.kind == Parcel.Kind.NORMAL else []
        if problems:
            raise ShipmentRefused(problems)
        locked.status, locked.shipped_at, locked.shipped_by = Parcel.Status.PRINTED, None, None
        locked.save(update_fields=["status", "shipped_at", "shipped_by"])
        signals.parcels_voided.send(sender=Parcel, parcels=[locked], lines=lines, user=user)
        _refresh_statuses(orders.values(), user=user, now=timezone.now())
    return locked


def _hand_over_problems(parcels, parcel_lines, orders):
    """Every reason these waiting parcels cannot ship now, in Chinese (read under the caller's locks)."""
    problems = []
    for parcel in parcels:
        if parcel.status == Parcel.Status.SHIPPED:
            problems.append(f"快递单号 {parcel.tracking_number} 已经发货，不会重复扣库存。")
        elif parcel.status == Parcel.Status.VOIDED:
            problems.append(f"快递单号 {parcel.tracking_number} 的包裹已撤销，不能发货。")
    if problems:  # the orders' state follows from these parcels: nothing more to say
        return problems
    holds = active_holds(orders)
    for order in sorted(orders.values(), key=lambda order: order.created_at):
        if refusal := _order_refusal(order, holds):
            problems.append(refusal)
    needed, items = defaultdict(int), {}
    for parcel_line in parcel_lines:
        item = parcel_line.stock_item
        items[item.pk] = item
        needed[item.pk] += parcel_line.quantity
    # Other waiting parcels' promises do not bind the one being handed over: the shelf is first come.
    stock = dict(InventoryItem.objects.filter(pk__in=list(items)).values_list("pk", "stock"))
    problems.extend(
        shortage_message(items[pk], units, stock.get(pk, 0)) for pk, units in needed.items() if units > stock.get(pk, 0)
    )
    return problems


def mark_parcels_printed(parcels, *, user=None):
    """已取号 → 已打印 for these parcels (Parcel instances or pks), once the clerk confirms the print.

    One conditional UPDATE: a parcel already printed, shipped or voided keeps its status (reprints
    are counted on its e-waybill). Returns how many changed.
    """
    pks = [parcel.pk if isinstance(parcel, Parcel) else parcel for parcel in parcels]
    return Parcel.objects.filter(pk__in=pks, status=Parcel.Status.NUMBERED).update(status=Parcel.Status.PRINTED)


def _returned_beyond_void(parcel_lines):
    """Why voiding these sold parcel lines would leave less shipped than already came back (退货入库)."""
    voided, lines = defaultdict(int), {}
    for parcel_line in parcel_lines:
        voided[parcel_line.line_id] += parcel_line.quantity
        lines[parcel_line.line_id] = parcel_line.line
    shipped, received = shipped_quantities(voided), selectors.received_quantities(voided)
    return [
        f"订单 {lines[pk].order.order_no}：SKU {lines[pk].item.sku} 已有 {received[pk]} 件退货入库，不能撤销这个包裹。"
        for pk, units in sorted(voided.items())
        if received.get(pk, 0) > shipped.get(pk, 0) - units
    ]


def cancel_order(order, *, user=None):
    """Cancel an order that has no live parcel (void its parcels first). Moves no stock; releases its holds."""
    with transaction.atomic():
        locked = lock_orders({order.pk}).get(order.pk)
        if locked is None:
            raise ShipmentRefused(f"订单 {order.order_no} 已不存在。")
        if locked.status == STATUS.CANCELLED:
            raise ShipmentRefused(f"订单 {locked.order_no} 已经取消。")
        numbers = list(
            Parcel.objects.filter(lines__line__order=locked, status__in=Parcel.LIVE)
            .values_list("tracking_number", flat=True)
            .distinct()
        )
        if numbers:
            raise ShipmentRefused(
                f"订单 {locked.order_no} 还有未撤销的包裹（{'、'.join(numbers)}），请先撤销这些包裹，再取消订单。"
            )
        locked.status = STATUS.CANCELLED
        locked.changed_by = user
        locked.save(update_fields=["status", "updated_at"])
        # A cancelled order ships from nowhere: its holds have nothing left to hold.
        _release(list(OrderHold.objects.active().select_for_update().filter(order=locked).order_by("pk")), user)
        signals.order_cancelled.send(sender=Order, order=locked, user=user)
    order.status, order.updated_at = locked.status, locked.updated_at
    return locked


def lock_orders(pks):
    """{pk: Order} read under row locks until commit, in primary-key order (no lock cycles)."""
    if not pks:
        return {}
    return {order.pk: order for order in Order.objects.select_for_update().filter(pk__in=sorted(pks)).order_by("pk")}


def _refresh_statuses(orders, *, user, now):
    """Set each order's status from its lines' live parcels (the one status write, DESIGN.md rule 3).

    Every touched order gets a new updated_at (what stale pages compare against); orders whose
    status changed get a history row.
    """
    orders = {order.pk: order for order in orders}
    if not orders:
        return
    rows = (
        OrderLine.objects.filter(order_id__in=orders)
        .values("pk", "order_id", "quantity")
        .annotate(
            units=Sum(
                "parcel_lines__quantity",
                filter=Q(**{f"parcel_lines__{key}": value for key, value in selectors.SOLD.items()}),
            )
        )
        .order_by()
    )
    lines = defaultdict(list)
    for row in rows:
        lines[row["order_id"]].append((row["quantity"], row["units"] or 0))
    by_status, changed = defaultdict(list), []
    for pk, order in orders.items():
        status = _status_from_lines(order.status, lines[pk])
        by_status[status].append(pk)
        if status != order.status:
            order.status = status
            changed.append(order)
        order.updated_at = now
        order.changed_by = user
    for status, pks in by_status.items():
        Order.objects.filter(pk__in=pks).update(status=status, updated_at=now)
    if changed:
        Order.history.bulk_history_create(changed, batch_size=500, update=True, default_user=user)


def _status_from_lines(current, lines):
    if current == STATUS.CANCELLED:
        return current
    shipped = sum(units for _quantity, units in lines)
    if lines and all(units >= quantity for quantity, units in lines):
        return STATUS.SHIPPED
    return STATUS.PARTIAL if shipped else STATUS.PENDING


def _unique(parcels):
    return list({id(parcel): parcel for parcel in parcels}.values())


# --- New orders ------------------------------------------------------------------------------


def set_default_ship_by(order):
    """An order without its own 承诺发货时间 gets its shop's default hours after it was placed."""
    if order.ship_by is None:
        order.ship_by = order.shop.ship_by_for(order.created_at)


def create_orders(drafts, *, shop=None, user=None):
    """Add new pending orders with their lines in bulk: `drafts` is [(Order, [OrderLine, ...]), ...].

    Orders that name no shop go to `shop`, else to selectors.default_shop(); each order without
    a ship_by gets its shop's default (set_default_ship_by).

    The rows are validated by the caller (an import's preview). One INSERT per 1,000 orders and
    lines, plus the orders' history rows. Raises IntegrityError if an order number was taken
    meanwhile; then nothing is written. Returns the orders.
    """
    orders = [order for order, _lines in drafts]
    if any(order.pk is not None for order in orders):
        raise ValueError("create_orders adds new orders only")
    if any(not lines for _order, lines in drafts):
        raise ValueError("an order needs at least one line")
    with transaction.atomic():
        fallback = None
        for order in orders:
            order.status = STATUS.PENDING
            if order.shop_id is None:
                fallback = fallback or shop or selectors.default_shop()
                order.shop = fallback
            set_default_ship_by(order)
        Order.objects.bulk_create(orders, batch_size=1000)
        if any(order.pk is None for order in orders):  # MySQL returns no ids from a bulk insert
            found = Order.objects.filter(
                order_no__in=[o.order_no for o in orders], shop__in={o.shop_id for o in orders}
            )
            ids = {(shop_id, order_no): pk for shop_id, order_no, pk in found.values_list("shop_id", "order_no", "pk")}
            for order in orders:
                order.pk = ids[(order.shop_id, order.order_no)]
        lines = []
        for order, order_lines in drafts:
            for line in order_lines:
                line.order = order
                lines.append(line)
        OrderLine.objects.bulk_create(lines, batch_size=1000)
        Order.history.bulk_history_create(orders, batch_size=500, default_user=user)
        OrderHold.objects.bulk_create(rule_holds(drafts, HoldRules.current(), timezone.now()), batch_size=1000)
    return orders


CHAT_ORDER_PREFIX = "WX"  # 微信 / 私域: orders pasted from a chat (粘贴下单)


def next_chat_order_no(shop, ordered_at):
    """The next number of `shop`'s chat orders of the Shanghai day of `ordered_at`: WX20261203-0001.

    Read inside the transaction that holds the shop's row (create_chat_order), so two clerks
    saving at once get consecutive numbers; (shop, order_no) is unique in the database as well.
    """
    prefix = f"{CHAT_ORDER_PREFIX}{timezone.localtime(ordered_at):%Y%m%d}-"
    taken = (
        Order.objects.filter(shop=shop, order_no__startswith=prefix)
        .order_by(Length("order_no").desc(), "-order_no")  # -10000 after -9999
        .values_list("order_no", flat=True)
        .first()
    )
    last = int(taken.removeprefix(prefix)) if taken and taken.removeprefix(prefix).isdigit() else 0
    return f"{prefix}{last + 1:04d}"


def create_chat_order(order, lines, *, paste_key=None, user=None):
    """粘贴下单: a new order from a chat message, numbered by next_chat_order_no, through create_orders.

    `order` (with its shop) and `lines` ([OrderLine]) are unsaved and validated by the caller.
    `paste_key` names the confirmation: sent again, it returns the order it made (the unique
    Order.paste_key holds when two arrive at once). Returns (order, created).
    """
    try:
        with transaction.atomic():
            Shop.objects.select_for_update().get(pk=order.shop_id)  # one number at a time per shop
            made = Order.objects.filter(paste_key=paste_key).first() if paste_key else None
            if made is not None:
                return made, False
            order.order_no = next_chat_order_no(order.shop, order.created_at)
            order.paste_key = paste_key or None
            return create_orders([(order, lines)], user=user)[0], True
    except IntegrityError:
        made = Order.objects.filter(paste_key=paste_key).first() if paste_key else None
        if made is None:
            raise
        return made, False


# --- Holds (审单, 挂起) ----------------------------------------------------------------------------


def active_holds(order_pks, now=None):
    """{order pk: [active OrderHold, ...]} for the orders of `order_pks` that are held at `now`."""
    held = defaultdict(list)
    for chunk in chunked(order_pks):
        for hold in OrderHold.objects.active(now).filter(order_id__in=chunk).order_by("created_at", "pk"):
            held[hold.order_id].append(hold)
    return dict(held)


def hold_text(hold):
    """One hold as the clerk reads it: 买家留言：…, or a time hold with the moment it ends."""
    if hold.until is not None:
        return f"{hold.label}，{timezone.localtime(hold.until):%m-%d %H:%M} 自动解除"
    return hold.label


def held_message(order_no, holds):
    """The one wording of 'this order is held' (check_shipments' refusal on every shipping path)."""
    reasons = "；".join(dict.fromkeys(hold_text(hold) for hold in holds))
    return f"订单 {order_no} 已挂起（{reasons}），请先在订单页解除挂起。"


def rule_holds(drafts, rules, now):
    """The unsaved holds that `rules` (HoldRules) put on new orders: [(Order, [OrderLine, ...]), ...] in."""
    holds = []
    for order, lines in drafts:
        if rules.hold_buyer_message and order.note.strip():
            holds.append(OrderHold(order=order, reason=OrderHold.Reason.BUYER_MESSAGE, note=order.note.strip()[:200]))
        pieces = sum(line.quantity for line in lines)
        if rules.max_pieces is not None and pieces > rules.max_pieces:
            note = f"共 {pieces} 件，超过 {rules.max_pieces} 件"
            holds.append(OrderHold(order=order, reason=OrderHold.Reason.LARGE_ORDER, note=note))
        until = order.created_at + timedelta(minutes=rules.wait_minutes)
        if rules.wait_minutes and until > now:  # an order placed long ago has waited already
            note = f"下单后等待 {rules.wait_minutes} 分钟"
            holds.append(OrderHold(order=order, reason=OrderHold.Reason.WAITING, note=note, until=until))
    for hold in holds:
        hold.by_rule, hold.created_at = True, now
    return holds


def hold_order(order, reason, *, note="", user=None):
    """挂起: hold `order` for `reason` (OrderHold.Reason) until someone releases it. Returns the hold.

    Refused for an order that is not open, or already held for the same reason.
    """
    if reason not in OrderHold.Reason.values:
        raise ValueError(f"unknown hold reason {reason!r}")
    with transaction.atomic():
        locked = lock_orders({order.pk}).get(order.pk)
        if locked is None:
            raise ShipmentRefused(f"订单 {order.order_no} 已不存在。")
        if not locked.is_open:
            raise ShipmentRefused(f"订单 {locked.order_no} 当前为“{locked.get_status_display()}”，不能挂起。")
        same = [hold for hold in active_holds([locked.pk]).get(locked.pk, []) if hold.reason == reason]
        if same:
            raise ShipmentRefused(f"订单 {locked.order_no} 已因“{same[0].get_reason_display()}”挂起，无需重复挂起。")
        return OrderHold.objects.create(order=locked, reason=reason, note=note.strip(), created_by=user)


def release_hold(hold, *, user=None):
    """解除挂起: release one hold; refused when it no longer holds (released, or its time ran out)."""
    with transaction.atomic():
        locked = lock_orders({hold.order_id}).get(hold.order_id)
        current = OrderHold.objects.select_for_update().filter(pk=hold.pk).first() if locked else None
        if current is None:
            raise ShipmentRefused("这条挂起记录已不存在，请刷新页面。")
        if not OrderHold.objects.active().filter(pk=current.pk).exists():
            raise ShipmentRefused(f"订单 {locked.order_no} 的挂起（{current.label}）已经解除，无需重复解除。")
        _release([current], user)
    return current


def release_holds(order, *, user=None):
    """解除挂起: release every active hold of `order`; refused when it is not held. Returns the holds."""
    with transaction.atomic():
        locked = lock_orders({order.pk}).get(order.pk)
        if locked is None:
            raise ShipmentRefused(f"订单 {order.order_no} 已不存在。")
        holds = list(OrderHold.objects.active().select_for_update().filter(order=locked).order_by("pk"))
        if not holds:
            raise ShipmentRefused(f"订单 {locked.order_no} 没有挂起，无需解除。")
        _release(holds, user)
    return holds


def _release(holds, user):
    now = timezone.now()
    for hold in holds:
        hold.released_at, hold.released_by = now, user
    OrderHold.objects.bulk_update(holds, ["released_at", "released_by"])


# --- 商家编码对应 (SKU mappings, issue 17) ------------------------------------------------------------

EMPTY_CODE = "商家编码为空。"
CODE_MAX_LENGTH = SkuMapping._meta.get_field("platform_code").max_length


class MappingRefused(ValidationError):
    """map_platform_codes refused; nothing was written.

    `messages` lists every problem, each naming its code; `row_messages` is {index of the
    (code, components) pair in the batch: [its messages]}, for a form that shows them by the row.
    """

    def __init__(self, row_messages):
        self.row_messages = row_messages
        super().__init__([message for messages in row_messages.values() for message in messages])


def _mapping_quantity(quantity):
    """A component's quantity (an int, or text as typed) as an int; ValidationError in Chinese if not whole and > 0."""
    if isinstance(quantity, bool) or not isinstance(quantity, (int, str)):
        raise ValidationError(f"数量“{quantity}”无效，应为正整数。")
    return whole_number(str(quantity).strip(), "数量", minimum=1, maximum=MAX_QUANTITY)


def check_platform_codes(shop, mappings, *, replace=False, existing=None):
    """Every problem of the proposed `mappings` of `shop` (read-only): {index: [Chinese messages]}.

    `mappings` is [(商家编码, [(InventoryItem, quantity), ...]), ...]. The rules, one wording each:
    a shop; a code, not blank, not too long, once in the batch; at least one component, each an
    item, each item once, each quantity a whole number above 0; and, unless `replace`, a code
    the shop has not mapped yet. `existing` is selectors.sku_mappings_by_code's answer when the
    caller has read it (map_platform_codes, locked), else it is read here.
    """
    if existing is None:
        existing = selectors.sku_mappings_by_code(shop, [code for code, _c in mappings]) if shop else {}
    problems, first_index = {}, {}
    for index, (code, components) in enumerate(mappings):
        code = (code or "").strip()
        row = [] if shop is not None else ["请选择店铺。"]
        if not code:
            row.append(EMPTY_CODE)
        elif len(code) > CODE_MAX_LENGTH:
            row.append(f"商家编码“{code[:20]}…”太长，最多 {CODE_MAX_LENGTH} 个字符。")
        elif platform_code_key(code) in first_index:
            row.append(f"商家编码 {code} 填写了两次，每个商家编码只能对应一次（组合装请在同一行添加商品）。")
        else:
            first_index[platform_code_key(code)] = index
        row.extend(f"商家编码 {code}：{problem}" if code else problem for problem in _component_problems(components))
        mapped = existing.get(platform_code_key(code)) if code else None
        if mapped is not None and not replace:
            now = components_text((c.item, c.quantity) for c in mapped.components.all())
            row.append(f"商家编码 {code} 已对应 {now}。如需修改，请在“商家编码对应”中编辑这一条。")
        if row:
            problems[index] = row
    return problems


def _component_problems(components):
    if not components:
        return ["请至少选择一个库存商品。"]
    problems, seen = [], set()
    for item, quantity in components:
        if item is None:
            problems.append("有一行没有选择库存商品。")
            continue
        if item.pk in seen:
            problems.append(f"{item.sku} 选了两次，同一商品请只选一次并填写总数量。")
        seen.add(item.pk)
        try:
            _mapping_quantity(quantity)
        except ValidationError as exc:
            problems.extend(f"{item.sku} 的{message}" for message in exc.messages)
    return problems


def parsed_components(components):
    """`components` with each quantity as an int (for components check_platform_codes accepted)."""
    return [(item, _mapping_quantity(quantity)) for item, quantity in components]


def mapping_unchanged(mapping, components):
    """Whether `mapping` already is `components` (accepted ones), whatever their order."""
    now = sorted((component.item_id, component.quantity) for component in mapping.components.all())
    return now == sorted((item.pk, quantity) for item, quantity in parsed_components(components))


def map_platform_code(shop, platform_code, components, *, replace=False, note=None, user=None):
    """对应: `platform_code` of `shop` is `components` ([(InventoryItem, quantity), ...]). Returns the SkuMapping.

    Creates the mapping, or with `replace` replaces an existing one's components (and its note
    when `note` is given). A refusal is a MappingRefused with every problem (check_platform_codes).
    """
    return _map(shop, [(platform_code, components, note)], replace=replace, user=user)[0]


def map_platform_codes(shop, mappings, *, replace=False, user=None):
    """map_platform_code for each (code, components) of `mappings`, all or nothing. Returns the SkuMappings.

    A few queries whatever the number of codes: the shop's mappings for the codes, locked; one
    INSERT of the new ones, one DELETE and one INSERT of components, their history rows. A
    mapping whose components are already these is left as it is (no history row): importing one
    file twice changes nothing.
    """
    return _map(shop, [(code, components, None) for code, components in mappings], replace=replace, user=user)


def _map(shop, rows, *, replace, user):
    rows = [(code, list(components), note) for code, components, note in rows]
    pairs = [(code, components) for code, components, _note in rows]
    try:
        with transaction.atomic():
            existing = selectors.sku_mappings_by_code(shop, [code for code, _c in pairs], lock=True) if shop else {}
            problems = check_platform_codes(shop, pairs, replace=replace, existing=existing)
            if problems:
                raise MappingRefused(problems)
            return _write_mappings(shop, rows, existing, user)
    except IntegrityError as exc:  # another clerk mapped one of the new codes a moment ago
        new = {i: code.strip() for i, (code, _c, _n) in enumerate(rows) if platform_code_key(code) not in existing}
        raise MappingRefused(
            {i: [f"商家编码 {code} 刚刚被其他人对应了，请刷新页面后核对。"] for i, code in new.items()}
        ) from exc


def _write_mappings(shop, rows, existing, user):
    now = timezone.now()
    mappings, created, changed, components = [], [], [], []
    for code, wanted, note in rows:
        wanted = parsed_components(wanted)
        mapping = existing.get(platform_code_key(code))
        if mapping is None:
            mapping = SkuMapping(shop=shop, platform_code=code.strip(), note=(note or "").strip(), created_at=now)
            created.append(mapping)
        else:
            if mapping_unchanged(mapping, wanted) and (note is None or note.strip() == mapping.note):
                mappings.append(mapping)
                continue
            if note is not None:
                mapping.note = note.strip()
            changed.append(mapping)
        mapping._change_reason = f"对应 {components_text(wanted)}"[:100]  # the history row says what it became
        mapping.changed_by = user
        mappings.append(mapping)
        components.extend((mapping, item, quantity) for item, quantity in wanted)
    SkuMapping.objects.bulk_create(created, batch_size=1000)
    if any(mapping.pk is None for mapping in created):  # MySQL returns no ids from a bulk insert
        pks = {}
        for chunk in chunked(mapping.platform_code for mapping in created):
            pks.update(SkuMapping.objects.filter(shop=shop, platform_code__in=chunk).values_list("platform_code", "pk"))
        for mapping in created:
            mapping.pk = pks[mapping.platform_code]
    SkuMapping.objects.bulk_update(changed, ["note"], batch_size=1000)
    for chunk in chunked(mapping.pk for mapping in changed):
        SkuMappingComponent.objects.filter(mapping_id__in=chunk).delete()
    SkuMappingComponent.objects.bulk_create(
        [SkuMappingComponent(mapping=mapping, item=item, quantity=q) for mapping, item, q in components],
        batch_size=1000,
    )
    SkuMapping.history.bulk_history_create(created, batch_size=500, default_user=user)
    SkuMapping.history.bulk_history_create(changed, batch_size=500, update=True, default_user=user)
    for mapping in created + changed:
        mapping._prefetched_objects_cache = {}  # its components are the new ones, read afresh
    return mappings


def unmap_platform_codes(mappings, *, user=None):
    """删除: the mappings and their components go; each leaves a history row naming `user`."""
    with transaction.atomic():
        for mapping in SkuMapping.objects.select_for_update().filter(pk__in=[m.pk for m in mappings]).order_by("pk"):
            mapping.changed_by = user
            mapping.delete()
