"""E-waybills: buy one for an order's remaining lines and ship them with it as one parcel.

Shipping always goes through orders.services.ship_order (or, when the shop ships on scan
(Sender.ShipMode.ON_SCAN), prepare_orders: the parcel waits as 已取号 until its label is scanned),
so the same rules as a manual save apply (the one door, DESIGN.md rule 3). The waybill row is
committed before the provider is called and its result is committed before the order ships: a
retry after any failure reuses the stored waybill (or the same idempotency key) and never buys a
second one. Each waybill ends in one parcel; an order that ships in two parcels (拆单) has two
waybills.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from logistics.conf import get_provider
from logistics.models import Sender, Waybill
from logistics.providers.base import Party, ProviderError, WaybillRequest
from logistics.services.labels import fetch_label
from logistics.services.tracking import subscribe_tracking
from orders import selectors as order_selectors
from orders import services as order_services
from orders.links import web_address
from orders.models import Order, Parcel

CARGO_MAX = 50  # Kuaidi100's cargo field


class WaybillError(Exception):
    """An order could not be shipped with an e-waybill; the message (Chinese) says why. Nothing changed."""


def current_sender():
    """The shop's one Sender (寄件人), or None before it is filled in."""
    return Sender.objects.select_related("default_carrier").order_by("pk").first()


def cargo_text(lines):
    """面单上的物品名称 for [(order line, units), ...]: "纯棉T恤 ×2", or "纯棉T恤 ×2 等3件" for several lines."""
    (first, units), pieces = lines[0], sum(units for _line, units in lines)
    suffix = f" ×{units}" + (f" 等{pieces}件" if len(lines) > 1 else "")
    return first.item.name[: CARGO_MAX - len(suffix)] + suffix


def _reserve_waybill(order, sender):
    """Lock the order, check it can ship, and return (order, its remaining lines, its unused waybill).

    The waybill is created (and committed) if the order has none waiting; under the order's row
    lock, so two clerks at once get the same one.
    """
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if not locked.is_open:
            raise WaybillError(f"订单当前为“{locked.get_status_display()}”，不能下电子面单。")
        if locked.receiver_encrypted:
            raise WaybillError(
                "平台加密订单不能下电子面单：收货信息被平台隐藏。请在平台打单，再填入或导入得到的快递单号。"
            )
        lines = order_selectors.remaining_lines([locked])[locked.pk]
        if not lines:
            raise WaybillError(order_services.nothing_left_message(locked))
        waybill = (
            Waybill.objects.select_related("carrier")
            .filter(order=locked, state__in=Waybill.UNUSED)
            .order_by("pk")
            .first()
        )
        if waybill is None:
            carrier = sender.default_carrier
            if carrier is None:
                raise WaybillError("未设置默认快递公司：请在“寄件人”中设置默认快递公司。")
            if not carrier.kuaidi100_code:
                raise WaybillError(f"{carrier.name}没有设置快递100编码，不能下电子面单。")
        if waybill is None or waybill.state == Waybill.State.REQUESTED:
            # Don't buy a waybill for an order that cannot ship anyway: every rule but the number
            # (still to come); ship_order stays the real guard.
            review = order_services.check_shipments(
                [order_services.Shipment(waybill.carrier if waybill else carrier, None, lines, orders=[locked])]
            )
            if not review.ok:
                raise WaybillError("".join(review.messages()))
        if waybill is None:
            waybill = Waybill.objects.create(
                order=locked, carrier=carrier, idempotency_key=f"OMS{locked.pk}-{uuid.uuid4().hex[:16]}"
            )
    return locked, lines, waybill


def _request_waybill(waybill, order, lines, sender, provider):
    """Ask the provider for the waybill; the answer is committed before anything else happens."""
    Waybill.objects.filter(pk=waybill.pk).update(attempts=waybill.attempts + 1, updated_at=timezone.now())
    request = WaybillRequest(
        idempotency_key=waybill.idempotency_key,
        company=waybill.carrier.kuaidi100_code,
        sender=Party(sender.name, sender.phone, sender.address),
        receiver=Party(order.receiver_name, order.receiver_phone, order.address),
        cargo=cargo_text(lines),
        count=sum(units for _line, units in lines),
        remark=order.order_no,
        partner_id=sender.partner_id,
        partner_key=sender.partner_key,
        template_id=sender.template_id,
    )
    try:
        result = provider.create_waybill(request)
    except ProviderError as exc:
        Waybill.objects.filter(pk=waybill.pk).update(last_error=str(exc)[:300])
        raise WaybillError(str(exc)) from exc
    # The courier's label link is kept only if it is an http(s) address that fits the column.
    label_url = web_address(result.label_url)
    label_url = label_url if len(label_url) <= Waybill._meta.get_field("label_url").max_length else ""
    # Conditional: a concurrent attempt for the same order may already have stored (and used) it.
    Waybill.objects.filter(pk=waybill.pk, state=Waybill.State.REQUESTED).update(
        task_id=result.task_id,
        tracking_number=result.tracking_number,
        label_url=label_url,
        state=Waybill.State.ISSUED,
        last_error="",
        updated_at=timezone.now(),
    )
    return Waybill.objects.select_related("carrier").get(pk=waybill.pk)


def _ship(order, waybill, user, sender):
    """Ship the order's remaining lines with the waybill's number (or only pack them in its parcel,
    已取号, when the shop ships on scan); the waybill records its parcel."""
    into_parcel = (
        order_services.prepare_orders if sender.ship_mode == Sender.ShipMode.ON_SCAN else order_services.ship_orders
    )
    try:
        with transaction.atomic():
            (parcel,) = into_parcel([(order, waybill.carrier, waybill.tracking_number)], user=user)
            Waybill.objects.filter(pk=waybill.pk).update(state=Waybill.State.USED, parcel=parcel, last_error="")
    except (ValidationError, order_services.InsufficientStock) as exc:
        reason = "；".join(order_services.error_messages(exc))
        Waybill.objects.filter(pk=waybill.pk, state__in=Waybill.UNUSED).update(last_error=reason[:300])
        raise WaybillError(
            f"已取得快递单号 {waybill.tracking_number}，但未能发货：{reason}（处理后重试会沿用这个单号）"
        ) from exc
    return parcel


def parcel_outcome(parcel):
    """What an e-waybill did for its order, for the action's message and the batch's progress."""
    if parcel.is_shipped:
        return f"已发货，快递单号 {parcel.tracking_number}"
    return f"已取号 {parcel.tracking_number}，打印面单、打包后在扫码发货页扫描面单发货"


def ship_with_waybill(order, *, user=None, provider=None, sender=None):
    """Buy (or reuse) an e-waybill for the order's remaining lines, ship them with it, subscribe its tracking.

    Returns the parcel. Raises WaybillError (Chinese) and leaves the order untouched when the
    provider fails, times out or the order cannot ship. Must run outside a transaction so the
    waybill is stored before the order ships.
    """
    provider = provider or get_provider()
    if provider is None:
        raise WaybillError("未配置快递100账号，不能下电子面单。")
    sender = sender or current_sender()
    if sender is None:
        raise WaybillError("请先在“寄件人”中填写寄件人姓名、电话和地址。")
    order, lines, waybill = _reserve_waybill(order, sender)
    if waybill.state == Waybill.State.REQUESTED:
        waybill = _request_waybill(waybill, order, lines, sender, provider)
    parcel = _ship(order, waybill, user, sender)
    subscribe_tracking(parcel, phone=order.receiver_phone, provider=provider)
    fetch_label(waybill)  # while the courier's link is fresh; the print page retries if this fails
    return parcel


# --- 撤销发货: cancel the voided parcel's e-waybill (issue 18) --------------------------------


def cancel_after_void(sender, parcels, user=None, **kwargs):
    """parcels_voided receiver: once the void commits, cancel those parcels' e-waybills (not before:
    a void that rolls back must leave its waybill alone)."""
    pks = [parcel.pk for parcel in parcels]
    transaction.on_commit(lambda: cancel_voided_waybills(pks))


def cancel_voided_waybills(parcel_pks, *, provider=None):
    """Cancel at Kuaidi100 the e-waybills of these voided parcels, so the numbers are not billed.

    Each outcome is recorded on its Waybill: 已取消 (不计费), or 取消失败 with the provider's reason
    (a parcel already picked up cannot be cancelled), which the order page shows. A provider that is
    not configured cancels nothing. Returns the waybills looked at.
    """
    provider = provider or get_provider()
    if provider is None:
        return []
    waybills = list(
        Waybill.objects.filter(parcel_id__in=parcel_pks, state=Waybill.State.USED, parcel__status=Parcel.Status.VOIDED)
        .select_related("carrier")
        .order_by("pk")
    )
    account = current_sender()
    for waybill in waybills:
        try:
            provider.cancel_waybill(
                waybill.carrier.kuaidi100_code,
                waybill.tracking_number,
                order_id=waybill.idempotency_key,
                partner_id=account.partner_id if account else "",
                partner_key=account.partner_key if account else "",
                reason="订单撤销发货",
            )
        except ProviderError as exc:
            waybill.state, waybill.last_error = Waybill.State.CANCEL_FAILED, str(exc)[:300]
        else:
            waybill.state, waybill.last_error = Waybill.State.CANCELLED, ""
        Waybill.objects.filter(pk=waybill.pk).update(
            state=waybill.state, last_error=waybill.last_error, updated_at=timezone.now()
        )
    return waybills
