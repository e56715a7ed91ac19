"""What the courier API adds to the order admin: a column, a filter, a timeline and an action.

orders/admin.py wires these in; each hides itself when Kuaidi100 is not configured.
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from logistics import services
from logistics.conf import is_enabled
from logistics.models import TrackingState, Waybill, WaybillBatch
from logistics.selectors import exception_parcels
from orders.models import Order

EXCEPTIONS = "exceptions"


class TrackingStateFilter(admin.SimpleListFilter):
    title = "物流状态"
    parameter_name = "tracking_state"

    def lookups(self, request, model_admin):
        return [*TrackingState.choices, (EXCEPTIONS, "异常件")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == EXCEPTIONS:
            return queryset.filter(pk__in=exception_parcels().values("pk"))
        if value in TrackingState.values:
            return queryset.filter(tracking__state=value)
        return queryset


def _tracking(order):
    try:
        return order.tracking
    except Order.tracking.RelatedObjectDoesNotExist:
        return None


@admin.display(description="物流状态", ordering="tracking__state")
def tracking_state(order):
    tracking = _tracking(order)
    if tracking is None or not tracking.state:
        return "-"
    return format_html('<span class="badge trace-{}">{}</span>', tracking.state, tracking.get_state_display())


def _label_link(order):
    waybill = Waybill.objects.filter(order=order).exclude(label_url="").only("label_url").first()
    if waybill is None:
        return ""
    return format_html(' <a href="{}" target="_blank" rel="noopener noreferrer">打开电子面单</a>', waybill.label_url)


def trace_timeline(order):
    """The parcel's journey, newest first, in Shanghai time."""
    tracking = _tracking(order)
    events = list(order.trace_events.all()) if order.pk else []
    if not events:
        if tracking and tracking.last_error:
            return format_html('<span class="trace-empty">暂无物流轨迹（{}）</span>', tracking.last_error)
        return format_html('<span class="trace-empty">{}</span>', "暂无物流轨迹")
    header = ""
    if tracking and tracking.state:
        header = format_html(
            '<p class="trace-head"><span class="badge trace-{}">{}</span> {} {}{}</p>',
            tracking.state,
            tracking.get_state_display(),
            tracking.tracking_number,
            f"（{len(events)} 条）",
            _label_link(order),
        )
    rows = format_html_join(
        "",
        '<li><time>{}</time><span class="trace-status">{}</span>{}</li>',
        ((timezone.localtime(event.time).strftime("%Y-%m-%d %H:%M"), event.status, event.context) for event in events),
    )
    return format_html('{}<ol class="trace-timeline">{}</ol>', header, rows)


@admin.action(description="电子面单下单", permissions=["change"])
def issue_waybills(modeladmin, request, queryset):
    """Buy an e-waybill for each selected pending order and ship it; a large selection runs in the background."""
    pending = list(
        queryset.filter(status=Order.Status.PENDING).order_by("created_at", "pk").values_list("pk", flat=True)
    )
    skipped = queryset.exclude(status=Order.Status.PENDING).count()
    if skipped:
        modeladmin.message_user(request, f"跳过 {skipped} 个不是待发货的订单。", messages.WARNING)
    if not pending:
        modeladmin.message_user(request, "所选订单中没有待发货的订单。", messages.WARNING)
        return None
    if len(pending) > services.INLINE_LIMIT:
        batch = services.start_waybill_batch(pending, user=request.user)
        batch.refresh_from_db(fields=["status"])
        if batch.status == WaybillBatch.Status.FAILED:
            modeladmin.message_user(request, "后台任务队列不可用，没有订单被处理。", messages.ERROR)
        else:
            modeladmin.message_user(
                request, f"已在后台为 {len(pending)} 个订单下电子面单，本页显示进度。", messages.SUCCESS
            )
        return HttpResponseRedirect(reverse("admin:logistics_waybillbatch_change", args=[batch.pk]))
    shipped = 0
    for order in Order.objects.select_related("item", "carrier").filter(pk__in=pending).order_by("created_at", "pk"):
        try:
            result = services.ship_with_waybill(order, user=request.user)
        except services.WaybillError as exc:
            modeladmin.message_user(request, f"未发货：订单 {order.order_no}：{exc}", messages.ERROR)
        else:
            shipped += 1
            modeladmin.message_user(
                request, f"订单 {order.order_no} 已发货，快递单号 {result.tracking_number}。", messages.SUCCESS
            )
    return None


def add_to_order_admin(items, extra, *, after=None):
    """`items` with `extra` added (after `after` if given) when the courier API is configured."""
    items = list(items)
    if not is_enabled():
        return items
    position = items.index(after) + 1 if after in items else len(items)
    return [*items[:position], *extra, *items[position:]]
