"""What the courier API adds to the order admin: a column, a filter, a timeline and an action.

logistics.admin's CourierOrderAdmin wires these into the order admin (orders imports nothing from
here); each hides itself when Kuaidi100 is not configured. Tracking is per parcel: an order shows
the state of each of its live parcels.
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from logistics import selectors
from logistics.conf import is_enabled
from logistics.label_views import labels_url
from logistics.models import TrackingState, Waybill, WaybillBatch
from logistics.services import batches, waybills
from orders.links import web_address
from orders.models import Order

EXCEPTIONS = "exceptions"


class TrackingStateFilter(admin.SimpleListFilter):
    """物流状态: orders with a live parcel in that state; 异常件: orders with a live parcel that needs a look."""

    title = "物流状态"
    parameter_name = "tracking_state"

    def lookups(self, request, model_admin):
        return [*TrackingState.choices, (EXCEPTIONS, "异常件")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == EXCEPTIONS:
            return queryset.filter(pk__in=selectors.orders_with_parcels(selectors.exception_parcels()))
        if value in TrackingState.values:
            return queryset.filter(pk__in=selectors.orders_in_tracking_state(value))
        return queryset


def state_badge(tracking):
    return format_html('<span class="badge trace-{}">{}</span>', tracking.state, tracking.get_state_display())


@admin.display(description="物流状态")
def tracking_state(order):
    """A badge per live parcel that has a state (several for a split order)."""
    badges = [state_badge(tracking) for tracking in selectors.live_trackings(order) if tracking.state]
    if not badges:
        return "-"
    return format_html_join(" ", "{}", ((badge,) for badge in badges))


def waybill_cancel_note(waybill):
    """What became of a voided parcel's e-waybill at the courier (waybills.cancel_voided_waybills)."""
    if waybill is None:
        return ""
    if waybill.state == Waybill.State.CANCELLED:
        return "，电子面单已取消，不计费"
    if waybill.state == Waybill.State.CANCEL_FAILED:
        return f"，电子面单未能取消：{waybill.last_error} 请联系快递网点处理"
    return ""


def _parcel_timeline(parcel):
    tracking = getattr(parcel, "tracking", None)
    events = list(parcel.trace_events.all())
    label = ""
    waybill = getattr(parcel, "waybill", None)
    if waybill is not None and parcel.is_live and (waybill.label_file or web_address(waybill.label_url)):
        printed = f"（已打印 {waybill.print_count} 次）" if waybill.print_count else ""
        label = format_html(
            ' <a href="{}" target="_blank">{}</a>{}',
            labels_url(parcel_pk=parcel.pk),
            "重打面单" if waybill.print_count else "打印面单",
            printed,
        )
    state = state_badge(tracking) if tracking and tracking.state else ""
    voided = f"（已撤销{waybill_cancel_note(waybill)}）" if not parcel.is_live else ""
    header = format_html(
        '<p class="trace-head">{} {} {}{}（{} 条）{}</p>',
        state,
        parcel.carrier.name,
        parcel.tracking_number,
        voided,
        len(events),
        label,
    )
    if not events:
        reason = f"（{tracking.last_error}）" if tracking and tracking.last_error else ""
        return format_html('{}<span class="trace-empty">暂无物流轨迹{}</span>', header, reason)
    rows = format_html_join(
        "",
        '<li><time>{}</time><span class="trace-status">{}</span>{}</li>',
        ((timezone.localtime(event.time).strftime("%Y-%m-%d %H:%M"), event.status, event.context) for event in events),
    )
    return format_html('{}<ol class="trace-timeline">{}</ol>', header, rows)


def trace_timeline(order):
    """Each parcel's journey (live parcels first), newest event first, in Shanghai time."""
    parcels = selectors.order_parcels_with_traces(order) if order.pk else []
    if not parcels:
        return format_html('<span class="trace-empty">{}</span>', "暂无物流轨迹")
    return format_html_join("", '<div class="trace-parcel">{}</div>', ((_parcel_timeline(p),) for p in parcels))


@admin.action(description="电子面单下单", permissions=["change"])
def issue_waybills(modeladmin, request, queryset):
    """Buy an e-waybill for the remaining lines of each selected open order and ship them (or,
    打印后扫描发货, put them in a parcel that waits as 已取号).

    A large selection runs in the background.
    """
    open_statuses = [Order.Status.PENDING, Order.Status.PARTIAL]
    selected = queryset.filter(status__in=open_statuses).order_by("created_at", "pk")
    pending = list(selected.values_list("pk", flat=True))
    skipped = queryset.exclude(status__in=open_statuses).count()
    if skipped:
        modeladmin.message_user(request, f"跳过 {skipped} 个已发货或已取消的订单。", messages.WARNING)
    if not pending:
        modeladmin.message_user(request, "所选订单中没有待发货的订单。", messages.WARNING)
        return None
    if len(pending) > batches.INLINE_LIMIT:
        batch = batches.start_waybill_batch(pending, user=request.user)
        batch.refresh_from_db(fields=["status"])
        if batch.status == WaybillBatch.Status.FAILED:
            modeladmin.message_user(
                request, "后台任务队列不可用，没有订单被处理。队列恢复后请在批次页面点“继续处理”。", messages.ERROR
            )
        else:
            modeladmin.message_user(
                request, f"已在后台为 {len(pending)} 个订单下电子面单，本页显示进度。", messages.SUCCESS
            )
        return HttpResponseRedirect(reverse("admin:logistics_waybillbatch_change", args=[batch.pk]))
    for order in Order.objects.filter(pk__in=pending).order_by("created_at", "pk"):
        try:
            parcel = waybills.ship_with_waybill(order, user=request.user)
        except waybills.WaybillError as exc:
            modeladmin.message_user(request, f"未发货：订单 {order.order_no}：{exc}", messages.ERROR)
        else:
            modeladmin.message_user(
                request, f"订单 {order.order_no} {waybills.parcel_outcome(parcel)}。", messages.SUCCESS
            )
    return None


def add_when_enabled(items, extra, *, after=None):
    """`items` with `extra` added (after `after` if present, else at the end), when the courier API is configured."""
    items = list(items)
    if not is_enabled():
        return items
    position = items.index(after) + 1 if after in items else len(items)
    return [*items[:position], *extra, *items[position:]]
