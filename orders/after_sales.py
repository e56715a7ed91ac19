"""售后 (after-sales): one service per transition of an AfterSaleCase.

A module of its own, not more of orders/services.py: that module is the shipping door (decide
a shipment, write parcels, move stock through the signal); after-sales is a second pipeline with
its own states that *uses* that door (a 补发 ships through services.ship_reissue_parcel, a refund
holds through services.hold_order) and the stock writer (退货入库 through adjust_stocks).

Each service is Saleor-shaped: inside one transaction it locks the order, then the case, in
that order (the shipping services lock orders first too, so the two never wait in a cycle),
collects every problem, raises one AfterSaleRefused with all the Chinese messages, and only
then writes. The flow:

    待处理 ──record_return_shipment──▶ 退货在途 ──receive_return──▶ 已收货 ──complete_case──▶ 已完成
       │                                  │
       └──────── reject_case / cancel_case ┴──▶ 已拒绝 / 已取消

仅退款 completes from 待处理; 补发 completes when its parcel ships (ship_reissue); 换货 is a return
plus a reissue (of the same or another item) and completes once both are done. A 仅退款 on
units not shipped yet holds the order (退款中) until the case closes.
"""

from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from inventory.models import StockMovement
from inventory.services import StockChange, adjust_stocks
from orders import selectors, services
from orders.carriers import format_problem, normalize_tracking_number
from orders.models import AfterSaleCase, AfterSaleLine, AfterSaleReissue, OrderHold, OrderLine, Parcel

KIND = AfterSaleCase.Kind
STATUS = AfterSaleCase.Status
INTERCEPT_RECORDED = "已登记拦截请求：请联系快递公司拦截；包裹退回后在扫码发货页扫描原快递单号收货入库。"


class AfterSaleRefused(services.ShipmentRefused):
    """An after-sales operation broke a rule; `messages` lists every problem. Nothing was written."""


# --- Opening a case --------------------------------------------------------------------------


def create_case(
    order,
    kind,
    lines,
    *,
    reason="",
    note="",
    reissue=None,
    parcel=None,
    return_carrier=None,
    return_tracking_number="",
    user=None,
):
    """新建售后: open a case of `kind` (AfterSaleCase.Kind) on `order` for `lines` [(order_line, units), ...].

    How many a line may name, less what other cases (not rejected or cancelled) of the same pool
    already name (AfterSaleCase.TAKES_BACK / SENDS_GOODS): 仅退款 up to the line's quantity;
    every other kind up to what shipped (live 正常 parcels).
    `reissue` [(order_line, item, units), ...] is what 补发 / 换货 send out again (default: the
    same items and units as `lines`). 拦截 names the live `parcel` on the road; its lines default
    to what the parcel holds of the order, and the returned parcel is received by its own number.
    A 仅退款 naming a line with units still to ship holds the order (退款中) until the case
    closes (a 退货退款 names shipped units only, so nothing of it is left to stop).
    """
    if kind not in KIND.values:
        raise ValueError(f"unknown after-sales kind {kind!r}")
    with transaction.atomic():
        locked = services.lock_orders({order.pk}).get(order.pk)
        if locked is None:
            raise AfterSaleRefused(f"订单 {order.order_no} 已不存在。")
        if kind == KIND.INTERCEPT:
            parcel, lines, problems = _intercepted(locked, parcel, lines)
        else:
            parcel, problems = None, []  # only 拦截 names a parcel
        lines = [(line, units) for line, units in lines if units]
        problems += _line_problems(locked, kind, lines)
        if kind in AfterSaleCase.SENDS_GOODS:
            reissue = [(line, line.item, units) for line, units in lines] if reissue is None else list(reissue)
            problems += _reissue_problems(locked, reissue)
        number = normalize_tracking_number(return_tracking_number)
        if parcel is not None:  # 拦截: the parcel comes back under its own number
            number, return_carrier = parcel.tracking_number, parcel.carrier
        if number and return_carrier is not None and format_problem(return_carrier, number):
            problems.append(format_problem(return_carrier, number))
        if number and kind not in AfterSaleCase.RETURNS_GOODS:
            problems.append(f"“{KIND(kind).label}”没有退货，不用填退货快递单号。")
        if problems:
            raise AfterSaleRefused(list(dict.fromkeys(problems)))

        now = timezone.now()
        returning = bool(number) and kind != KIND.INTERCEPT
        case = AfterSaleCase.objects.create(
            order=locked,
            kind=kind,
            status=STATUS.RETURNING if returning else STATUS.PENDING,
            reason=reason.strip()[:200],
            note=note.strip(),
            return_carrier=return_carrier if number else None,
            return_tracking_number=number,
            parcel=parcel,
            intercept_result=INTERCEPT_RECORDED if kind == KIND.INTERCEPT else "",
            created_at=now,
            created_by=user,
            returning_at=now if returning else None,
            returning_by=user if returning else None,
        )
        AfterSaleLine.objects.bulk_create([AfterSaleLine(case=case, line=line, quantity=u) for line, u in lines])
        if kind in AfterSaleCase.SENDS_GOODS:
            AfterSaleReissue.objects.bulk_create(
                [AfterSaleReissue(case=case, line=line, item=item, quantity=u) for line, item, u in reissue]
            )
        if kind == KIND.REFUND_ONLY and _touches_unshipped(lines):
            case.hold = _refund_hold(locked, case, user)
            case.save(update_fields=["hold"])
    return case


def _touches_unshipped(lines):
    """Whether a refund names a line that still has units to ship: those must not go out meanwhile."""
    shipped = selectors.shipped_quantities(line.pk for line, _units in lines)
    return any(line.quantity > shipped.get(line.pk, 0) for line, _units in lines)


def _intercepted(order, parcel, lines):
    """拦截's parcel re-read under lock, its lines of `order` (unless given) and the problems."""
    if parcel is None:
        return None, lines, ["请选择要拦截的包裹。"]
    locked = Parcel.objects.select_for_update().filter(pk=parcel.pk).first()
    if locked is None or not locked.is_live:
        return None, lines, [f"包裹 {parcel.tracking_number} 已撤销或不存在，无法拦截。"]
    held = list(locked.lines.filter(line__order=order).select_related("line__item").order_by("pk"))
    if not held:
        return None, lines, [f"包裹 {locked.tracking_number} 里没有订单 {order.order_no} 的商品。"]
    if not lines:
        units = defaultdict(int)
        for parcel_line in held:
            units[parcel_line.line] += parcel_line.quantity
        lines = list(units.items())
    return locked, lines, []


def _line_problems(order, kind, lines):
    if order.status == order.Status.CANCELLED:
        return [f"订单 {order.order_no} 已取消，不能新建售后。"]
    if not lines:
        return ["请选择售后的商品和数量。"]
    stored = {line.pk: line for line in OrderLine.objects.filter(order=order).select_related("item")}
    line_pks = [line.pk for line, _units in lines]
    shipped = selectors.shipped_quantities(line_pks)
    pools = [pool for pool in (AfterSaleCase.TAKES_BACK, AfterSaleCase.SENDS_GOODS) if kind in pool]
    claims = [selectors.claimed_quantities(line_pks, kinds=pool) for pool in pools]
    problems = []
    for line, units in lines:
        own = stored.get(line.pk)
        if own is None:
            problems.append(f"订单 {order.order_no} 没有这件商品，请刷新页面后重试。")
            continue
        sku = own.item.sku
        if units < 0:
            problems.append(f"SKU {sku} 的售后数量必须大于 0。")
            continue
        basis = own.quantity if kind == KIND.REFUND_ONLY else shipped.get(own.pk, 0)
        for claimed in claims:
            left = basis - claimed.get(own.pk, 0)
            if units > left:
                what = "共" if kind == KIND.REFUND_ONLY else "已发货"
                problems.append(
                    f"SKU {sku} {what} {basis} 件，其他售后单已占 {claimed.get(own.pk, 0)} 件，"
                    f"最多还能售后 {max(left, 0)} 件，不能售后 {units} 件。"
                )
    return list(dict.fromkeys(problems))


def _reissue_problems(order, reissue):
    if not reissue:
        return ["请填写要补发的商品和数量。"]
    problems = []
    for line, item, units in reissue:
        if line.order_id != order.pk:
            problems.append(f"订单 {order.order_no} 没有这件商品，请刷新页面后重试。")
        elif item is None:
            problems.append("请选择补发的商品。")
        elif units <= 0:
            problems.append(f"SKU {item.sku} 的补发数量必须大于 0。")
    return problems


def _refund_hold(order, case, user):
    """The order's active 退款中 hold (one per order, shared by its refund cases), made if missing."""
    current = OrderHold.objects.active().filter(order=order, reason=OrderHold.Reason.REFUND).order_by("pk").first()
    if current is not None:
        return current
    return services.hold_order(order, OrderHold.Reason.REFUND, note=f"售后单 {case.pk}", user=user)


def available_steps(case):
    """The buttons a case page offers now (the services still decide): return, reissue, complete, reject, cancel."""
    if case.status not in AfterSaleCase.OPEN:
        return set()
    steps = {"complete"}
    if case.status in (STATUS.PENDING, STATUS.RETURNING):
        steps |= {"reject", "cancel"}
        if case.kind in AfterSaleCase.RETURNS_GOODS and case.kind != KIND.INTERCEPT:
            steps.add("return")
    if case.kind in AfterSaleCase.SENDS_GOODS:
        steps.add("reissue")
    return steps


# --- Transitions -----------------------------------------------------------------------------


def _locked_case(case):
    """The case and its order re-read under row locks, order first (as the shipping services lock)."""
    services.lock_orders({case.order_id})
    locked = AfterSaleCase.objects.select_for_update().select_related("order").filter(pk=case.pk).first()
    if locked is None:
        raise AfterSaleRefused("售后单已不存在，请刷新页面。")
    return locked


def _refuse_unless(locked, statuses, action):
    if locked.status not in statuses:
        raise AfterSaleRefused(f"{locked} 当前为“{locked.get_status_display()}”，不能{action}。")


def record_return_shipment(case, carrier, tracking_number, *, user=None):
    """退货在途: the buyer sent the goods back with `tracking_number` (carrier optional)."""
    with transaction.atomic():
        locked = _locked_case(case)
        _refuse_unless(locked, (STATUS.PENDING, STATUS.RETURNING), "登记退货单号")
        number = normalize_tracking_number(tracking_number)
        problems = []
        if locked.kind not in AfterSaleCase.RETURNS_GOODS:
            problems.append(f"{locked}（{locked.get_kind_display()}）没有退货。")
        if not number:
            problems.append("请填写退货快递单号。")
        elif carrier is not None and format_problem(carrier, number):
            problems.append(format_problem(carrier, number))
        if problems:
            raise AfterSaleRefused(problems)
        locked.return_carrier, locked.return_tracking_number = carrier, number
        locked.status, locked.returning_at, locked.returning_by = STATUS.RETURNING, timezone.now(), user
        locked.save(
            update_fields=["return_carrier", "return_tracking_number", "status", "returning_at", "returning_by"]
        )
    return locked


def receive_return(case, counts, *, user=None):
    """退货入库: count what came back, `counts` {AfterSaleLine pk: (良品, 次品)}.

    良品 goes back on the shelf through adjust_stocks (ledger reason 退货入库, naming order and
    line); 次品 is recorded on the case line only and never becomes sellable stock. The case is
    locked, so two clerks receiving one return move stock once: the second is refused.
    """
    with transaction.atomic():
        locked = _locked_case(case)
        if locked.status == STATUS.RECEIVED or locked.received_at is not None:
            raise AfterSaleRefused(f"{locked} 已经收货入库，库存不会再次增加。")
        _refuse_unless(locked, (STATUS.PENDING, STATUS.RETURNING), "收货")
        if locked.kind not in AfterSaleCase.RETURNS_GOODS:
            raise AfterSaleRefused(f"{locked}（{locked.get_kind_display()}）没有退货，不能收货入库。")
        lines = list(locked.lines.select_related("line__item").order_by("pk"))
        # Read under the order's lock: a parcel voided since the case opened may have shrunk what shipped.
        line_pks = [case_line.line_id for case_line in lines]
        shipped, received = selectors.shipped_quantities(line_pks), selectors.received_quantities(line_pks)
        problems, total = [], 0
        for case_line in lines:
            good, damaged = counts.get(case_line.pk, (0, 0))
            sku = case_line.line.item.sku
            left = shipped.get(case_line.line_id, 0) - received.get(case_line.line_id, 0)
            if good < 0 or damaged < 0:
                problems.append(f"SKU {sku} 的良品、次品数量不能小于 0。")
            elif good + damaged > case_line.quantity:
                problems.append(
                    f"SKU {sku} 售后 {case_line.quantity} 件，良品 {good} + 次品 {damaged} "
                    f"多了 {good + damaged - case_line.quantity} 件。"
                )
            elif good + damaged > left:
                problems.append(
                    f"SKU {sku} 现在已发货且未退回的只有 {max(left, 0)} 件（包裹可能已撤销），"
                    f"不能收 {good + damaged} 件。"
                )
            total += good + damaged
        if not problems and total == 0:
            problems.append("请填写收到的良品或次品数量。")
        if problems:
            raise AfterSaleRefused(problems)
        changes = []
        for case_line in lines:
            case_line.good_quantity, case_line.damaged_quantity = counts.get(case_line.pk, (0, 0))
            if case_line.good_quantity:
                changes.append(
                    StockChange(
                        case_line.line.item,
                        case_line.good_quantity,
                        StockMovement.Reason.RETURN,
                        order=locked.order,
                        line=case_line.line,
                        note=f"{locked} 良品",
                    )
                )
        AfterSaleLine.objects.bulk_update(lines, ["good_quantity", "damaged_quantity"])
        if changes:
            adjust_stocks(changes, user=user)
        locked.status, locked.received_at, locked.received_by = STATUS.RECEIVED, timezone.now(), user
        locked.save(update_fields=["status", "received_at", "received_by"])
        locked.received_lines = lines
    return locked


def ship_reissue(case, carrier, tracking_number, *, user=None):
    """补发: ship the case's reissue lines in a parcel of kind 补发 (the shipping door decides the rest).

    A 补发 case is then done (已完成); a 换货 is done once its return was received too. Returns the parcel.
    """
    with transaction.atomic():
        locked = _locked_case(case)
        _refuse_unless(locked, AfterSaleCase.OPEN, "补发")
        if locked.kind not in AfterSaleCase.SENDS_GOODS:
            raise AfterSaleRefused(f"{locked}（{locked.get_kind_display()}）不需要补发。")
        if locked.reissue_parcels.filter(status__in=Parcel.LIVE).exists():
            raise AfterSaleRefused(f"{locked} 已经补发过了；如需重发，请先撤销原补发包裹。")
        reissues = list(locked.reissue_lines.select_related("line", "item").order_by("pk"))
        for reissue in reissues:
            reissue.line.order = locked.order
        parcel = services.ship_reissue_parcel(
            [(r.line, r.item, r.quantity) for r in reissues], carrier, tracking_number, case=locked, user=user
        )
        if locked.kind == KIND.REISSUE or locked.status == STATUS.RECEIVED:
            _close(locked, STATUS.COMPLETED, user)
    return parcel


def complete_case(case, *, user=None):
    """完成: the refund is paid / the exchange is done. A return must be received, a reissue shipped.

    A refund that, with the order's other completed refunds, covers every unit of an order that
    shipped nothing cancels the order (全额退款); a partial one only releases the 退款中 hold.
    """
    with transaction.atomic():
        locked = _locked_case(case)
        _refuse_unless(locked, AfterSaleCase.OPEN, "完成")
        problems = []
        if locked.kind in AfterSaleCase.RETURNS_GOODS and locked.status != STATUS.RECEIVED:
            problems.append(f"{locked} 的退货还没有收货入库，请先收货。")
        if (
            locked.kind in AfterSaleCase.SENDS_GOODS
            and not locked.reissue_parcels.filter(status__in=Parcel.LIVE).exists()
        ):
            problems.append(f"{locked} 还没有补发，请先补发。")
        if problems:
            raise AfterSaleRefused(problems)
        _close(locked, STATUS.COMPLETED, user)
        if locked.kind in AfterSaleCase.REFUNDS and _refunded_whole(locked.order):
            services.cancel_order(locked.order, user=user)
            locked.order.refresh_from_db()
    return locked


def _refunded_whole(order):
    """Whether completed refunds cover every unit of an order that shipped nothing: it is then cancelled."""
    if order.status != order.Status.PENDING:
        return False
    lines = list(order.lines.values_list("pk", "quantity"))
    refunded = selectors.completed_refunds([pk for pk, _quantity in lines])
    return all(refunded.get(pk, 0) >= quantity for pk, quantity in lines)


def reject_case(case, *, note="", user=None):
    """拒绝: the shop refuses the request; nothing came back, so nothing moves. Releases its 退款中 hold."""
    return _close_unreceived(case, STATUS.REJECTED, "拒绝", note, user)


def cancel_case(case, *, note="", user=None):
    """取消: the buyer withdrew the request; nothing came back, so nothing moves. Releases its 退款中 hold."""
    return _close_unreceived(case, STATUS.CANCELLED, "取消", note, user)


def _close_unreceived(case, status, action, note, user):
    with transaction.atomic():
        locked = _locked_case(case)
        _refuse_unless(locked, (STATUS.PENDING, STATUS.RETURNING), action)
        if locked.reissue_parcels.filter(status__in=Parcel.LIVE).exists():
            raise AfterSaleRefused(f"{locked} 已经补发，不能{action}；请先撤销补发包裹。")
        if note.strip():
            locked.note = f"{locked.note}\n{action}：{note.strip()}".strip()
            locked.save(update_fields=["note"])
        _close(locked, status, user)
    return locked


def _close(locked, status, user):
    locked.status, locked.closed_at, locked.closed_by = status, timezone.now(), user
    locked.save(update_fields=["status", "closed_at", "closed_by"])
    hold = locked.hold
    others = AfterSaleCase.objects.filter(order_id=locked.order_id, hold=hold, status__in=AfterSaleCase.OPEN)
    if hold is not None and hold.released_at is None and not others.exclude(pk=locked.pk).exists():
        services.release_hold(hold, user=user)
