from django.contrib import admin, messages
from django.db.models import F
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from import_export.forms import ExportForm

from audit.admin import TimelineAdminMixin
from inventory.forms import InventoryItemForm
from inventory.models import InventoryItem, StockMovement
from inventory.resources import InventoryItemExportResource, StockCountImportResource
from inventory.services import InsufficientStock, adjust_stock
from inventory.timeline import item_timeline
from oms.admin_mixins import ReadOnlyAdminMixin
from spreadsheets.admin import SelectedRowsExportMixin, SpreadsheetImportMixin

PLACEHOLDER = "inventory/no-image.svg"
CORRECTION_FIELDS = ("stock_delta", "stock_reason", "stock_note")
LEDGER_ROWS_SHOWN = 50


def item_thumbnail(item, size="small"):
    """A product picture as a small <img>, or the neutral placeholder when there is none."""
    url = item.image.url if item.image else static(PLACEHOLDER)
    return format_html('<img class="thumb thumb-{}" src="{}" alt="{}" loading="lazy">', size, url, item.name)


class LowStockFilter(admin.SimpleListFilter):
    title = "低库存"
    parameter_name = "low_stock"

    def lookups(self, request, model_admin):
        return [("yes", "低库存"), ("no", "库存充足")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(stock__lte=F("low_stock_threshold"))
        if self.value() == "no":
            return queryset.filter(stock__gt=F("low_stock_threshold"))
        return queryset


class LedgerInline(admin.TabularInline):
    """The item's latest ledger rows, read-only; the full ledger is one click away."""

    model = StockMovement
    fk_name = "item"
    verbose_name_plural = f"库存流水（最近 {LEDGER_ROWS_SHOWN} 条）"
    fields = ["created_at", "delta", "reason", "balance_after", "order", "created_by", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class Recent(formset):
            def get_queryset(self):
                # Built once: a fresh slice per call would be a fresh query per inline row.
                if not hasattr(self, "_recent"):
                    self._recent = (
                        super().get_queryset().select_related("item", "order", "created_by")[:LEDGER_ROWS_SHOWN]
                    )
                return self._recent

        return Recent


@admin.register(InventoryItem)
class InventoryItemAdmin(SpreadsheetImportMixin, TimelineAdminMixin, SelectedRowsExportMixin, admin.ModelAdmin):
    form = InventoryItemForm
    timeline_builder = staticmethod(item_timeline)
    # Export (issue 3, 16): CSV and XLSX for Excel (SelectedRowsExportMixin), Chinese headers.
    export_file_stem = "库存商品导出"
    export_sheet_title = "库存商品"
    export_form_class = ExportForm
    show_change_form_export = False  # the export action and button on the list, not on each order
    # Import (issue 4): 盘点导入, each difference one 盘点 ledger movement.
    import_resource_classes = [StockCountImportResource]
    list_display = ["thumbnail", "sku", "name", "location", "stock_with_badge", "low_stock_threshold", "updated_at"]
    list_display_links = ["sku", "name"]
    list_filter = [LowStockFilter]
    search_fields = ["^sku", "name", "=barcode"]
    readonly_fields = ["image_preview", "stock", "ledger_link"]
    fieldsets = [
        (
            "商品信息",
            {"fields": ["sku", "name", "image", "image_preview", "barcode", "location", "low_stock_threshold"]},
        ),
        ("库存", {"fields": ["stock", "ledger_link", "stock_delta", "stock_reason", "stock_note"]}),
    ]
    inlines = [LedgerInline]

    class Media:
        css = {"all": ["orders/css/admin.css"]}

    def get_export_resource_classes(self, request):
        return [InventoryItemExportResource]

    @admin.display(description="图片")
    def thumbnail(self, item):
        return item_thumbnail(item)

    def get_fieldsets(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return super().get_fieldsets(request, obj)
        # Read-only viewers (ops) see the stock, not the correction inputs they may not use.
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in CORRECTION_FIELDS]})
            for name, opts in self.fieldsets
        ]

    @admin.display(description="图片预览")
    def image_preview(self, item):
        return item_thumbnail(item, size="large")

    @admin.display(description="库存", ordering="stock")
    def stock_with_badge(self, item):
        if item.is_low_stock:
            return format_html('{} <span class="badge badge-low">低库存</span>', item.stock)
        return item.stock

    @admin.display(description="库存流水")
    def ledger_link(self, item):
        if not item.pk:
            return "-"
        url = reverse("admin:inventory_stockmovement_changelist") + f"?item__id__exact={item.pk}"
        return format_html('<a href="{}">查看全部流水</a>', url)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "库存商品", **(extra_context or {})})

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        delta = form.cleaned_data.get("stock_delta") or 0
        if delta:
            adjust_stock(
                obj,
                delta,
                form.cleaned_data["stock_reason"],
                user=request.user,
                note=form.cleaned_data.get("stock_note", ""),
            )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except InsufficientStock as exc:
            self.message_user(request, f"未保存：{exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger: read-only, append-only."""

    list_display = ["created_at", "item", "delta", "reason", "balance_after", "order", "created_by", "note"]
    list_filter = ["reason", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["item", "order", "created_by"]
    search_fields = ["^item__sku", "^order__order_no"]
    show_full_result_count = False
