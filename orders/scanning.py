"""扫码发货: what one scan means (switch order, ship, ask for the carrier, undo).

The view is thin: it feeds the scanned code here and shows the result. Shipping and undoing go
through orders.services like every other path.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from orders import services
from orders.carriers import describe_guess_problem, guess_carriers, normalize_tracking_number
from orders.models import Carrier, Order

UNDO_CODES = {"UNDO", "撤销"}
# Letters, digits and dashes with at least one digit: anything else is a misread, not a waybill.
PLAUSIBLE_NUMBER = re.compile(r"(?=.*\d)[0-9A-Z-]{6,40}")


@dataclass
class ScanResult:
    kind: str  # "switched", "shipped", "choose", "undone", "error"
    message: str
    order: Order | None = None
    number: str = ""
    candidates: list = field(default_factory=list)

    @property
    def ok(self):
        return self.kind in {"switched", "shipped", "undone"}


def normalize_code(code):
    """What a scanner or a keyboard typed: full-width characters folded (NFKC), blanks trimmed."""
    return unicodedata.normalize("NFKC", code or "").strip()


def next_unshipped_order():
    """The order the clerk should pack next: the oldest pending one."""
    return (
        Order.objects.select_related("item", "carrier")
        .filter(status=Order.Status.PENDING)
        .order_by("created_at", "id")
        .first()
    )


def find_order(order_no):
    """The order with this order number (exact, then upper-cased as scanners may send), or None."""
    order_no = normalize_code(order_no)
    if not order_no:
        return None
    orders = Order.objects.select_related("item", "carrier")
    return orders.filter(order_no=order_no).first() or orders.filter(order_no=order_no.upper()).first()


def pending_for_same_receiver(order):
    """Other pending orders going to the same receiver: they can share this parcel (合并发货)."""
    if order is None:
        return []
    candidates = Order.objects.filter(
        status=Order.Status.PENDING, receiver_phone=order.receiver_phone, receiver_name=order.receiver_name
    ).exclude(pk=order.pk)
    return [other for other in candidates.order_by("created_at", "id")[:20] if order.same_receiver(other)]


def pending_count():
    return Order.objects.filter(status=Order.Status.PENDING).count()


def shipped_message(order):
    text = f"已发货：订单 {order.order_no} · {order.carrier.name} {order.tracking_number}"
    consolidated = getattr(order, "consolidated_with", [])
    if consolidated:
        text += f"（合并发货：与订单 {'、'.join(consolidated)} 同一包裹）"
    return text


def carrier_candidates(number, carriers):
    """Carriers to offer when the number alone does not decide: the matching ones, or else
    those without a number format (they accept any number)."""
    guesses = guess_carriers(number, carriers)
    if len(guesses) > 1:
        return guesses
    return [c for c in carriers if c.is_active and not c.tracking_number_pattern]


def handle_scan(code, *, current, user, carrier=None):
    """Interpret one scan on the scan page.

    An order number switches to that order; a tracking number ships `current` with the carrier
    guessed from it (or `carrier`, chosen by the clerk); several possible carriers → "choose".
    """
    code = normalize_code(code)
    if not code:
        return ScanResult("error", "请扫描订单号或快递单号。", order=current)
    scanned_order = find_order(code)
    if scanned_order is not None:
        note = ""
        if scanned_order.status != Order.Status.PENDING:
            note = f"（该订单{scanned_order.get_status_display()}，不能再次发货）"
        return ScanResult("switched", f"已切换到订单 {scanned_order.order_no}{note}", order=scanned_order)
    if current is None:
        return ScanResult("error", f"找不到订单号“{code}”，当前也没有待发货的订单。")
    number = normalize_tracking_number(code)
    if not PLAUSIBLE_NUMBER.fullmatch(number):
        return ScanResult("error", f"“{code}”既不是订单号，也不像快递单号，请重新扫描。", order=current)
    if carrier is None:
        carriers = list(Carrier.objects.filter(is_active=True))
        guesses = guess_carriers(number, carriers)
        if len(guesses) == 1:
            carrier = guesses[0]
        else:
            candidates = carrier_candidates(number, carriers)
            if not candidates:
                return ScanResult(
                    "error",
                    f"“{code}”不是订单号，{describe_guess_problem(number, guesses)}",
                    order=current,
                    number=number,
                )
            return ScanResult(
                "choose",
                f"快递单号“{number}”无法确定快递公司，请按数字键选择：",
                order=current,
                number=number,
                candidates=candidates,
            )
    try:
        services.ship_order(current, carrier, number, user=user)
    except (ValidationError, services.InsufficientStock) as exc:
        current.refresh_from_db()
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return ScanResult("error", "未发货：" + "；".join(messages), order=current, number=number)
    return ScanResult("shipped", shipped_message(current), order=current, number=number)


def undo_scan(order_id, *, user):
    """Undo the shipment of `order_id` made on the scan page; the order becomes the current one."""
    order = Order.objects.select_related("item", "carrier").filter(pk=order_id).first()
    if order is None:
        return ScanResult("error", "没有可以撤销的发货。")
    try:
        services.undo_shipment(order, user=user)
    except (ValidationError, services.InsufficientStock) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return ScanResult("error", "未撤销：" + "；".join(messages), order=order)
    return ScanResult("undone", f"已撤销订单 {order.order_no} 的发货，库存已退回。", order=order)
