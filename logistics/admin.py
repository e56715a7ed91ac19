"""The courier API's admin pages, and its additions to the order admin.

The order admin is extended here, as django.contrib.auth's UserAdmin is extended: unregister and
subclass, so orders imports nothing from logistics (INSTALLED_APPS lists logistics after orders).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from logistics import label_views, order_admin, selectors
from logistics.conf import is_enabled
from logistics.forms import SenderForm
from logistics.models import Sender, Tracking, Waybill, WaybillBatch
from logistics.services import batches
from oms.admin_mixins import ReadOnlyAdminMixin
from orders.admin import OrderAdmin
from orders.links import web_address
from orders.models import Order

admin.site.unregister(Order)


@admin.register(Order)
class CourierOrderAdmin(OrderAdmin):
    """The order admin plus 物流状态 (column and filter), 电子面单下单 and each parcel's 物流轨迹."""

    actions = [*(OrderAdmin.actions or []), order_admin.issue_waybills, "print_waybill_labels"]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        extra = [
            path("labels/", wrap(lambda request: label_views.labels_view(request, self)), name="orders_order_labels"),
            path(
                "labels/printed/",
                wrap(lambda request: label_views.labels_printed_view(request, self)),
                name="orders_order_labels_printed",
            ),
        ]
        return [*extra, *super().get_urls()]

    @admin.action(description="打印所选订单的电子面单", permissions=["change"])
    def print_waybill_labels(self, request, queryset):
        pks = list(queryset.order_by("created_at", "pk").values_list("pk", flat=True)[: label_views.LABELS_MAX + 1])
        if len(pks) > label_views.LABELS_MAX:
            self.message_user(
                request, f"一次最多打印 {label_views.LABELS_MAX} 单的面单，请少选一些。", messages.WARNING
            )
            return None
        return HttpResponseRedirect(label_views.labels_url(order_pks=pks))

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if is_enabled() and self.has_change_permission(request):
            waiting = selectors.unprinted_label_count()
            if waiting:
                tools = [(label_views.labels_url(unprinted=True), f"打印未打印面单（{waiting}）")]
                extra_context["extra_tools"] = [*extra_context.get("extra_tools", []), *tools]
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request):
        return selectors.with_live_trackings(super().get_queryset(request))

    def void_messages(self, parcel):
        # The void has committed, and with it the e-waybill's cancel (cancel_after_void, on commit).
        waybill = Waybill.objects.filter(parcel=parcel).first()
        if waybill is None or waybill.state == Waybill.State.USED:
            return super().void_messages(parcel)
        if waybill.state == Waybill.State.CANCELLED:
            return [(messages.SUCCESS, f"电子面单 {waybill.tracking_number} 已取消，不计费。")]
        problem = f"电子面单 {waybill.tracking_number} 未能取消：{waybill.last_error}。"
        return [(messages.WARNING, problem + "请联系快递网点处理，以免这张面单计费。")]

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        return order_admin.add_when_enabled(columns, [order_admin.tracking_state], after="status")

    def get_list_filter(self, request):
        return order_admin.add_when_enabled(super().get_list_filter(request), [order_admin.TrackingStateFilter])

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_enabled():
            actions.pop("issue_waybills", None)
            actions.pop("print_waybill_labels", None)
        return actions

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and is_enabled():
            fieldsets = [*fieldsets, ("物流轨迹", {"fields": ["trace_timeline"]})]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "trace_timeline"]

    @admin.display(description="物流轨迹")
    def trace_timeline(self, order):
        return order_admin.trace_timeline(order)


class HiddenWithoutKuaidi100:
    """The 快递接口 pages exist only while Kuaidi100 is configured: for every role, superusers too.

    Without credentials nothing on them can work, so the section leaves the menu and its pages
    answer 403 (our Chinese page), as the README says.
    """

    def has_module_permission(self, request):
        return is_enabled() and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_enabled() and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_enabled() and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return is_enabled() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_enabled() and super().has_delete_permission(request, obj)


@admin.register(Sender)
class SenderAdmin(HiddenWithoutKuaidi100, admin.ModelAdmin):
    form = SenderForm
    list_display = ["name", "phone", "address", "default_carrier", "ship_mode"]
    readonly_fields = ["partner_key_status"]
    fieldsets = [
        ("寄件人", {"fields": ["name", "phone", "address", "default_carrier"]}),
        (
            "电子面单账号（按快递公司网点提供的填写）",
            {"fields": ["partner_id", "partner_key_status", "partner_key", "clear_partner_key", "template_id"]},
        ),
        ("打印与发货", {"fields": ["label_size", "ship_mode"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return super().get_fieldsets(request, obj)
        # A reader (经理) sees whether a password is set, never the password.
        hidden = {"partner_key", "clear_partner_key"}
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]}) for name, opts in self.fieldsets
        ]

    @admin.display(description="电子面单密码状态")
    def partner_key_status(self, sender):
        return "已设置" if sender.partner_key else "未设置"

    def has_add_permission(self, request):
        # One sender for the shop: edit it rather than adding another.
        return super().has_add_permission(request) and not Sender.objects.exists()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "address":
            field.widget.attrs["style"] = "width: 32em"  # the whole address fits
        return field


@admin.register(Waybill)
class WaybillAdmin(HiddenWithoutKuaidi100, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "order",
        "parcel",
        "carrier",
        "tracking_number",
        "state",
        "attempts",
        "label",
        "last_error",
        "created_at",
    ]
    list_filter = ["state", "carrier"]
    list_select_related = ["order", "parcel", "carrier"]
    search_fields = ["^order__order_no", "^tracking_number", "task_id"]

    @admin.display(description="面单")
    def label(self, waybill):
        url = web_address(waybill.label_url)
        if not url:
            return "-"
        return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">打开面单</a>', url)


@admin.register(Tracking)
class TrackingAdmin(HiddenWithoutKuaidi100, admin.ModelAdmin):
    list_display = ["parcel", "carrier", "state", "last_event_at", "last_polled_at", "subscribed_at"]
    list_filter = ["state"]
    list_select_related = ["parcel__carrier"]
    search_fields = ["^parcel__tracking_number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="快递公司", ordering="parcel__carrier__name")
    def carrier(self, tracking):
        return tracking.parcel.carrier.name


@admin.register(WaybillBatch)
class WaybillBatchAdmin(HiddenWithoutKuaidi100, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "progress", "created_by", "created_at", "finished_at"]
    list_select_related = ["created_by"]
    fields = [
        "status",
        "progress",
        "total",
        "done",
        "failed",
        "created_by",
        "created_at",
        "heartbeat_at",
        "finished_at",
        "results",
    ]
    readonly_fields = fields

    @admin.display(description="进度")
    def progress(self, batch):
        return format_html(
            '<progress class="batch-progress" max="{}" value="{}"></progress> {} / {}',
            batch.total or 1,
            batch.processed,
            batch.processed,
            batch.total,
        )

    @admin.display(description="结果说明")
    def results(self, batch):
        if not batch.messages:
            return "-"
        return format_html(
            '<ol class="batch-messages">{}</ol>', format_html_join("", "<li>{}</li>", ((m,) for m in batch.messages))
        )

    def get_urls(self):
        resume = self.admin_site.admin_view(require_POST(self.resume_view))
        return [path("<int:object_id>/resume/", resume, name="logistics_waybillbatch_resume"), *super().get_urls()]

    def has_resume_permission(self, request):
        # Resuming ships orders, as starting the batch (电子面单下单 on the order list) does.
        return request.user.has_perm("orders.change_order")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "refresh_seconds": 3}
        if batch is not None:
            stalled = batches.is_stalled(batch)
            extra_context.update(
                # Asked only while the batch waits on the queue: a finished batch needs no Redis.
                queue_down=batch.is_active and not batches.queue_is_reachable(),
                not_started=batch.status == WaybillBatch.Status.FAILED,
                stalled=stalled and batch.is_active,
                stall_minutes=int(batches.STALL_AFTER.total_seconds() // 60),
                can_resume=stalled and self.has_resume_permission(request),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def resume_view(self, request, object_id):
        """继续处理: queue a new run of a stalled batch (only its unprocessed orders are shipped)."""
        if not self.has_resume_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(WaybillBatch, pk=object_id)
        try:
            batches.resume_waybill_batch(batch)
        except batches.BatchNotResumable as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            left = batch.total - batch.processed
            self.message_user(request, f"已重新排队，继续处理剩余的 {left} 个订单。", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:logistics_waybillbatch_change", args=[batch.pk]))

    class Media:
        css = {"all": ["orders/css/admin.css"]}
