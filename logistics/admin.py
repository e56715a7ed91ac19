from django.contrib import admin
from django.utils.html import format_html, format_html_join

from logistics.models import Sender, Tracking, Waybill, WaybillBatch
from oms.admin_mixins import ReadOnlyAdminMixin


@admin.register(Sender)
class SenderAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "address", "default_carrier"]
    fieldsets = [
        ("寄件人", {"fields": ["name", "phone", "address", "default_carrier", "cargo"]}),
        ("电子面单账号（按快递公司网点提供的填写）", {"fields": ["partner_id", "partner_key", "template_id"]}),
    ]

    def has_add_permission(self, request):
        # One sender for the shop: edit it rather than adding another.
        return super().has_add_permission(request) and not Sender.objects.exists()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "address":
            field.widget.attrs["style"] = "width: 32em"  # the whole address fits
        return field


@admin.register(Waybill)
class WaybillAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "carrier", "tracking_number", "state", "attempts", "label", "last_error", "created_at"]
    list_filter = ["state", "carrier"]
    list_select_related = ["order", "carrier"]
    search_fields = ["^order__order_no", "^tracking_number", "task_id"]

    @admin.display(description="面单")
    def label(self, waybill):
        if not waybill.label_url:
            return "-"
        return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">打开面单</a>', waybill.label_url)


@admin.register(Tracking)
class TrackingAdmin(admin.ModelAdmin):
    list_display = ["order", "tracking_number", "company", "state", "last_event_at", "last_polled_at", "subscribed_at"]
    list_filter = ["state"]
    list_select_related = ["order"]
    search_fields = ["^order__order_no", "^tracking_number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WaybillBatch)
class WaybillBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "progress", "created_by", "created_at", "finished_at"]
    list_select_related = ["created_by"]
    fields = ["status", "progress", "total", "done", "failed", "created_by", "created_at", "finished_at", "results"]
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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "refresh_seconds": 3}
        return super().change_view(request, object_id, form_url, extra_context)

    class Media:
        css = {"all": ["orders/css/admin.css"]}
