"""What the order admin does to parcels: 发部分商品, 撤销此包裹, and the confirmed 撤销发货 / 取消订单 actions.

Every write is a service call (ship_parcel, void_parcel, cancel_order); these views ask, confirm,
and say in Chinese what happened to stock.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from orders import selectors, services
from orders.admin.filters import ShipStatusFilter
from orders.admin.forms import ShipPartForm
from orders.models import Carrier, PackingCheck, Parcel, ParcelLine

CONFIRM_TEMPLATE = "admin/orders/order/confirm_action.html"
UNSHIPPED = ShipStatusFilter.parameter_name
# What a void does not do: the parcel may already be on its way (issue 16.6).
CANCEL_NOTE = (
    "取消不改动库存：只有没有已发出包裹的订单才能取消，所以没有包裹在快递手中；"
    "还有未撤销包裹的订单请先撤销发货（并联系快递拦截包裹）。"
)
COURIER_NOTE = (
    "电子面单的单号会同时在快递100取消（不计费），取消结果显示在订单的物流轨迹里；"
    "包裹若已交给快递，请联系快递拦截。手工填写的单号只在系统中作废。"
)


def parcels_of(orders, *, live_only=False):
    """The parcels holding lines of `orders`, with carrier and lines (item, order): three queries."""
    parcels = Parcel.objects.filter(lines__line__order__in=list(orders)).distinct().order_by("created_at", "pk")
    if live_only:
        parcels = parcels.filter(status__in=Parcel.LIVE)
    lines = ParcelLine.objects.select_related("line__item", "line__order", "item").order_by("pk")
    checks = PackingCheck.objects.select_related("checked_by").order_by("checked_at", "pk")
    return list(
        parcels.select_related("carrier", "shipped_by", "voided_by").prefetch_related(
            Prefetch("lines", lines), Prefetch("packing_checks", checks)
        )
    )


def units_text(parcel_lines, *, order=None):
    """'SKU-001 × 2、SKU-002 × 1'; lines of orders other than `order` say which order they belong to."""
    parts = []
    for parcel_line in parcel_lines:
        text = f"{parcel_line.stock_item.sku} × {parcel_line.quantity}"
        if order is not None and parcel_line.line.order_id != order.pk:
            text += f"（订单 {parcel_line.line.order.order_no}）"
        parts.append(text)
    return "、".join(parts)


def parcel_name(parcel):
    return f"{parcel.carrier.name} {parcel.tracking_number}"


def _order_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def _context(request, model_admin, title, **extra):
    request.current_app = model_admin.admin_site.name
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "title": title, **extra}


def _order_for_change(request, model_admin, object_id):
    order = model_admin.get_object(request, object_id)
    if order is None:
        raise Http404("订单不存在。")
    if not model_admin.has_change_permission(request, order):
        raise PermissionDenied
    return order


def ship_part_view(request, model_admin, object_id):
    """发部分商品: chosen lines and quantities of one order as one parcel (services.ship_parcel).

    ?in_stock=1 (发有货的商品) starts the short lines at 0, so the parcel takes what stock covers.
    """
    order = _order_for_change(request, model_admin, object_id)
    remaining = selectors.remaining_lines([order])[order.pk]
    initial = {}
    if request.GET.get("in_stock") == "1":
        for shortage in selectors.shortages_by_order([order.pk]).get(order.pk, []):
            initial[ShipPartForm.line_field_for(shortage.line_id)] = 0
    form = ShipPartForm(
        request.POST if request.method == "POST" else None,
        remaining=remaining,
        carriers=list(Carrier.objects.all()),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        lines = form.lines()
        try:
            parcel = services.ship_parcel(
                lines, form.cleaned_data["carrier"], form.cleaned_data["tracking_number"], user=request.user
            )
        except (ValidationError, services.InsufficientStock) as exc:
            form.add_domain_errors(exc)
        else:
            taken = "、".join(f"{line.item.sku} × {units}" for line, units in lines)
            model_admin.message_user(
                request, f"已发出包裹 {parcel_name(parcel)}：库存已扣减 {taken}。", messages.SUCCESS
            )
            return HttpResponseRedirect(_order_url(order))
    context = _context(
        request, model_admin, f"发部分商品：订单 {order.order_no}", order=order, form=form, order_url=_order_url(order)
    )
    return TemplateResponse(request, "admin/orders/order/ship_part.html", context)


def void_parcel_view(request, model_admin, object_id, parcel_id):
    """撤销此包裹: a confirmation naming what goes back to stock, then services.void_parcel."""
    order = _order_for_change(request, model_admin, object_id)
    parcel = next((p for p in parcels_of([order]) if p.pk == int(parcel_id)), None)
    if parcel is None:
        raise Http404("包裹不存在。")
    if request.method != "POST" and not parcel.is_live:  # e.g. a list save's 撤销 link followed twice
        model_admin.message_user(request, f"包裹 {parcel_name(parcel)} 已撤销，不会再次退回库存。", messages.WARNING)
        return HttpResponseRedirect(_order_url(order))
    if request.method == "POST":
        _void_and_say(request, model_admin, parcel)
        return HttpResponseRedirect(_order_url(order))
    if parcel.is_shipped:
        effect = f"退回库存：{units_text(parcel.lines.all(), order=order)}"
        intro = f"确定要撤销订单 {order.order_no} 的这个包裹吗？包裹里的商品会退回库存，订单改回未发货。"
    else:  # 已取号/已打印: nothing left the shelf
        effect = f"库存不变（包裹{parcel.get_status_display()}、未发货）：{units_text(parcel.lines.all(), order=order)}"
        intro = f"确定要作废订单 {order.order_no} 这个未发货的包裹吗？单号作废，商品可以重新取号装包。"
    groups = [(f"包裹 {parcel_name(parcel)}", [effect])]
    others = sorted({pl.line.order.order_no for pl in parcel.lines.all()} - {order.order_no})
    notes = [COURIER_NOTE]
    if others:
        notes.append(f"这个包裹还装着订单 {'、'.join(others)} 的商品，它们也会一起撤销。")
    context = _context(
        request,
        model_admin,
        "撤销此包裹",
        intro=intro,
        groups=groups,
        notes=notes,
        submit_label="确定撤销",
        cancel_url=_order_url(order),
        form_url=request.get_full_path(),
    )
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)


def where_orders_are(orders):
    """'订单 TB1 已改回“待发货”，在“未发货”里（链接）' for orders a void sent back to the queue (issue 16.7)."""
    changelist = reverse("admin:orders_order_changelist")
    return format_html_join(
        "",
        '订单 {} 已改回“{}”，现在在<a href="{}">“未发货”</a>里，可重新填写快递单号发货。',
        [(order.order_no, order.get_status_display(), f"{changelist}?{unshipped_query(order)}") for order in orders],
    )


def unshipped_query(order):
    return urlencode({UNSHIPPED: "unshipped", "q": order.order_no})


def _void_and_say(request, model_admin, parcel):
    """Void one parcel and tell the clerk what came back to stock and where its orders are now, or why not."""
    try:
        voided = services.void_parcel(parcel, user=request.user)
    except ValidationError as exc:
        for message in services.error_messages(exc):
            model_admin.message_user(request, f"未撤销：{message}", messages.ERROR)
    else:
        orders = list({pl.line.order_id: pl.line.order for pl in voided.voided_lines}.values())
        done = "库存已退回" if voided.restocked else "包裹未发货，库存不变"
        model_admin.message_user(
            request,
            format_html(
                "已撤销包裹 {}，{}：{}。{}",
                parcel_name(parcel),
                done,
                units_text(voided.voided_lines),
                where_orders_are(orders),
            ),
            messages.SUCCESS,
        )
        for level, message in model_admin.void_messages(voided):
            model_admin.message_user(request, message, level)


def _action_confirmation(request, model_admin, orders, action, **extra):
    context = _context(
        request,
        model_admin,
        extra.pop("title"),
        action=action,
        selected=[order.pk for order in orders],
        cancel_url=request.get_full_path(),
        form_url="",
        **extra,
    )
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)


def void_parcels_action(model_admin, request, queryset):
    """撤销发货: void every live parcel of the chosen orders, after a page that says what goes back to stock."""
    orders = list(queryset.order_by("created_at", "pk"))
    parcels = parcels_of(orders, live_only=True)
    if request.POST.get("post") == "yes":
        for parcel in parcels:
            _void_and_say(request, model_admin, parcel)
        if not parcels:
            model_admin.message_user(request, "所选订单没有未撤销的包裹。", messages.WARNING)
        return None
    groups = []
    for order in orders:
        mine = [p for p in parcels if any(pl.line.order_id == order.pk for pl in p.lines.all())]
        lines = [f"包裹 {parcel_name(p)}：{_void_effect(p)} {units_text(p.lines.all(), order=order)}" for p in mine]
        lines = lines or ["没有未撤销的包裹，不会改动。"]
        groups.append((f"订单 {order.order_no}（{order.get_status_display()}）", lines))
    return _action_confirmation(
        request,
        model_admin,
        orders,
        "void_parcels",
        title="撤销发货",
        intro=f"将撤销 {len(parcels)} 个包裹，包裹里的商品退回库存，订单改回未发货。确定吗？",
        groups=groups,
        notes=[COURIER_NOTE] if parcels else [],
        submit_label="确定撤销发货",
    )


def _void_effect(parcel):
    return "退回库存" if parcel.is_shipped else "未发货，库存不变"


def cancel_orders_action(model_admin, request, queryset):
    """取消订单: after a confirmation page; each order through services.cancel_order (moves no stock)."""
    orders = list(queryset.order_by("created_at", "pk"))
    if request.POST.get("post") == "yes":
        cancelled = []
        for order in orders:
            try:
                services.cancel_order(order, user=request.user)
            except ValidationError as exc:
                for message in services.error_messages(exc):
                    model_admin.message_user(request, f"未取消：{message}", messages.ERROR)
            else:
                cancelled.append(order.order_no)
        if cancelled:
            model_admin.message_user(request, f"已取消订单 {'、'.join(cancelled)}，库存不变。", messages.SUCCESS)
        return None
    parcels = parcels_of(orders, live_only=True)
    groups = []
    for order in orders:
        mine = [parcel_name(p) for p in parcels if any(pl.line.order_id == order.pk for pl in p.lines.all())]
        if mine:
            lines = [f"还有未撤销的包裹：{'、'.join(mine)}。请先撤销发货，否则不会取消。"]
        else:
            lines = ["库存不变（没有已发出的商品）。"]
        groups.append((f"订单 {order.order_no}（{order.get_status_display()}）", lines))
    return _action_confirmation(
        request,
        model_admin,
        orders,
        "cancel_orders",
        title="取消订单",
        intro=f"确定要取消所选的 {len(orders)} 个订单吗？取消后订单不能再发货。",
        groups=groups,
        notes=[CANCEL_NOTE],
        submit_label="确定取消订单",
    )
