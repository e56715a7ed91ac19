from functools import update_wrapper

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ExportForm

from accounts.roles import order_fields_locked_for
from audit.admin import TimelineAdminMixin
from inventory.admin import item_thumbnail
from inventory.models import StockMovement
from oms.admin_mixins import ReadOnlyAdminMixin
from oms.importing.admin import SelectedRowsExportMixin, SpreadsheetImportMixin
from orders import admin_views, privacy, services, views
from orders.desk.merge import merge_ship
from orders.filters import CarrierFilter, ShipStatusFilter
from orders.forms import OrderChangeListForm, OrderChangeListFormSet, OrderForm
from orders.models import Carrier, Order, ReceiverReveal
from orders.pagination import CappedCountPaginator
from orders.resources import OrderExportResource, OrderImportResource, TrackingImportResource
from orders.selectors import order_search_filter

admin.site.site_header = "订单管理系统"
admin.site.site_title = "订单管理系统"
admin.site.index_title = "首页"
# The order list needs the full width of a 1366px screen.
admin.site.enable_nav_sidebar = False


def short_time(value):
    return timezone.localtime(value).strftime("%m-%d %H:%M") if value else "-"


def copy_button(order):
    """复制: the full details are fetched on click from a logging endpoint, never put in the page."""
    url = reverse("admin:orders_order_receiver", args=[order.pk])
    return format_html(
        '<button type="button" class="copy-btn" data-copy-url="{}" title="复制完整收货信息（会留记录）">复制</button>',
        url,
    )


def domain_error_message(exc):
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)


class DomainErrorsAsMessages:
    """Turns a domain error raised while saving (after the forms validated) into a message.

    The admin's save already ran in a transaction that the error rolled back, so nothing changed.
    """

    def _with_domain_errors(self, view, request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (services.InsufficientStock, ValidationError) as exc:
            self.message_user(request, f"未保存：{domain_error_message(exc)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class StockMovementInline(admin.TabularInline):
    model = StockMovement
    fk_name = "order"
    verbose_name_plural = "库存流水"
    fields = ["created_at", "item", "delta", "reason", "balance_after", "created_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item", "created_by")


@admin.register(Order)
class OrderAdmin(
    SpreadsheetImportMixin, DomainErrorsAsMessages, TimelineAdminMixin, SelectedRowsExportMixin, admin.ModelAdmin
):
    form = OrderForm
    # Export (issue 3): CSV with BOM and XLSX, the report's Chinese headers, formula-escaped.
    export_formats = [CSV, XLSX]
    export_form_class = ExportForm
    show_change_form_export = False  # the export action and button on the list, not on each order
    to_encoding = "utf-8-sig"
    import_export_change_list_template = "admin/orders/order/change_list.html"
    # Imports (issue 4): each row through the same services as the list page; all or nothing.
    import_resource_classes = [TrackingImportResource, OrderImportResource]
    list_display = [
        "order_no",
        "thumbnail",
        "product_name",
        "receiver_name",
        "masked_phone",
        "address_with_copy",
        "status",
        "ordered",
    ]
    list_display_links = ["order_no"]
    list_editable = []  # TODO(real-orders): the row's carrier and number ship it through services
    # Not the item: with that INNER JOIN MariaDB may start from the item table and sort a
    # million joined rows. get_queryset joins the carrier (LEFT JOIN keeps orders first) and
    # prefetches the page's items by id.
    list_select_related = ["carrier"]
    # The clerk needs the page links, not a second COUNT(*) of the whole table.
    show_full_result_count = False
    list_filter = [
        ShipStatusFilter,
        ("carrier", CarrierFilter),
        ("created_at", admin.DateFieldListFilter),
    ]
    # Shows the search box; get_search_results picks the indexed prefix matches by what was typed.
    search_fields = ["^order_no", "^tracking_number", "^receiver_name", "^receiver_phone"]
    search_help_text = "按订单号、快递单号、收货人或电话搜索（搜索范围为全部订单）"
    list_per_page = 50
    # Rows counted at most for the pagination line (beyond it: "10000+"), see CappedCountPaginator.
    list_count_cap = 10_000
    actions = ["mark_shipped", "print_pick_list", merge_ship]
    readonly_fields = [
        "status",
        "image_preview",
        "receiver_copy",
        "updated_at",
    ]
    fieldsets = [
        (
            "订单信息",
            {"fields": ["order_no", "customer_id", "created_at", "note"]},
        ),
        ("收货信息", {"fields": ["receiver_name", "receiver_phone", "address", "receiver_copy"]}),
        ("物流信息", {"fields": ["status"]}),
    ]
    inlines = [StockMovementInline]

    class Media:
        css = {"all": ["orders/css/admin.css"]}
        js = ["orders/js/copy.js"]

    def get_queryset(self, request):
        # The item is prefetched, not joined: with that INNER JOIN MariaDB may start from the
        # item table and sort a million joined rows. LEFT JOINs keep orders as the first table.
        return super().get_queryset(request).select_related("carrier").prefetch_related("item")

    @staticmethod
    def _pending_queue(request):
        return (
            request.GET.get(ShipStatusFilter.parameter_name, ShipStatusFilter.DEFAULT) in ShipStatusFilter.OLDEST_FIRST
        )

    def get_urls(self):
        def wrap(view):
            def bound(request, *args, **kwargs):
                return view(request, self, *args, **kwargs)

            return self.admin_site.admin_view(update_wrapper(bound, view))

        report = path("shipping-report/", self.admin_site.admin_view(self.shipping_report_view), name="shipping_report")
        return [
            report,
            path("scan/", wrap(admin_views.scan_view), name="orders_order_scan"),
            path("paste/", wrap(admin_views.paste_view), name="orders_order_paste"),
            path("pick-list/", wrap(admin_views.pick_list_view), name="orders_order_pick_list"),
            path("<int:object_id>/receiver/", wrap(admin_views.receiver_reveal_view), name="orders_order_receiver"),
            *super().get_urls(),
        ]

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        page = request.GET.get("p", "1")
        return CappedCountPaginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            cap=self.list_count_cap,
            page_hint=int(page) if page.isdigit() else 1,
        )

    def get_search_results(self, request, queryset, search_term):
        condition = order_search_filter(search_term)
        return (queryset.filter(condition) if condition is not None else queryset), False

    def get_ordering(self, request):
        # The clerk works the pending queue oldest first; everything else reads newest first.
        if self._pending_queue(request):
            return ["created_at", "id"]
        return ["-created_at", "-id"]

    def get_export_resource_classes(self, request):
        return [OrderExportResource]

    def get_export_resource_kwargs(self, request, **kwargs):
        # PIPL: exports are masked unless the user holds orders.export_full_receiver.
        return {
            **super().get_export_resource_kwargs(request, **kwargs),
            "full_receiver": privacy.may_export_full(request.user),
        }

    def get_data_for_export(self, request, queryset, **kwargs):
        data = super().get_data_for_export(request, queryset, **kwargs)
        if privacy.may_export_full(request.user):
            privacy.record_export_reveal(request.user, f"订单导出（完整收货信息）：{len(data)} 单")
        return data

    def shipping_report_view(self, request):
        return views.shipping_report(request, self)

    def get_changelist_form(self, request, **kwargs):
        return OrderChangeListForm

    def get_changelist_formset(self, request, **kwargs):
        formset = super().get_changelist_formset(request, formset=OrderChangeListFormSet, **kwargs)
        formset.carriers = list(Carrier.objects.all())  # one query per page, not per row
        return formset

    def save_model(self, request, obj, form, change):
        services.save_order(obj, user=request.user)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        if obj.status == Order.Status.SHIPPED:
            readonly += ["item", "quantity"]  # undo the shipment first (Order.save enforces it too)
        # Ops edit shipping and receiver fields only (accounts.roles).
        form_fields = [name for name in flatten_fieldsets(self.fieldsets) if name not in readonly]
        return readonly + order_fields_locked_for(request.user, form_fields)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "订单", "can_ship": self.has_change_permission(request), **(extra_context or {})}
        response = self._with_domain_errors(super().changelist_view, request, extra_context)
        return self._report_rows_off_page(request, response)

    def _report_rows_off_page(self, request, response):
        """Rows whose order left this view since the page loaded cannot show their errors in place.

        Django pairs the posted forms with the page's rows; when an order was changed by someone
        else (e.g. shipped, so no longer 未发货) that pairing breaks. Nothing was saved: say
        which orders and reload the page.
        """
        cl = getattr(response, "context_data", {}).get("cl")
        if not (cl and cl.formset and cl.formset.errors):
            return response
        on_page = [order.pk for order in cl.result_list]
        if [form.instance.pk for form in cl.formset.forms] == on_page[: len(cl.formset.forms)]:
            return response
        for form in cl.formset.forms:
            for message in form.non_field_errors() + [e for f in form for e in f.errors]:
                self.message_user(request, f"未保存：订单 {form.instance.order_no}：{message}", messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._with_domain_errors(super().changeform_view, request, object_id, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        order = getattr(response, "context_data", {}).get("original") if request.method == "GET" else None
        if order is not None and response.status_code == 200:
            # The change page shows the full phone and address: record who looked (PIPL).
            privacy.record_reveal(order, request.user, ReceiverReveal.How.PAGE)
        return response

    def action_checkbox(self, order):
        # Django's markup, without a template render per row (see orders/widgets.py).
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            order.pk,
            format_html(gettext("Select this object for an action - {}"), str(order)),
        )

    @admin.display(description="图片")
    def thumbnail(self, order):
        return item_thumbnail(order.item)

    @admin.display(description="产品名", ordering="item__name")
    def product_name(self, order):
        return format_html('<span class="product-name" title="{}">{}</span>', order.item.name, order.item.name)

    @admin.display(description="电话")
    def masked_phone(self, order):
        return privacy.mask_phone(order.receiver_phone)

    @admin.display(description="地址")
    def address_with_copy(self, order):
        short = privacy.short_address(order.address)
        return format_html('<span class="address" title="{}">{}</span>{}', short, short, copy_button(order))

    @admin.display(description="下单时间", ordering="created_at")
    def ordered(self, order):
        return short_time(order.created_at)

    @admin.display(description="发货时间", ordering="shipped_at")
    def shipped(self, order):
        return short_time(order.shipped_at)

    @admin.display(description="产品图片")
    def image_preview(self, order):
        return item_thumbnail(order.item, size="large") if order.item_id else "-"

    @admin.display(description="复制收货信息")
    def receiver_copy(self, order):
        return copy_button(order) if order.pk else "-"

    @admin.display(description="物流查询")
    def tracking_link(self, order):
        url = order.tracking_url if order.status == Order.Status.SHIPPED else ""
        if not url:
            return "-"
        return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', url, order.tracking_number)

    @admin.action(description="批量标记为已发货（需已填快递公司和单号）", permissions=["change"])
    def mark_shipped(self, request, queryset):
        shipped, problems = 0, []
        for order in queryset.select_related("item", "carrier"):
            if order.status != Order.Status.PENDING:
                continue
            if not (order.carrier_id and order.tracking_number):
                problems.append(f"订单 {order.order_no}：缺少快递公司或快递单号")
                continue
            try:
                services.ship_order(order, order.carrier, order.tracking_number, user=request.user)
                shipped += 1
            except (services.InsufficientStock, ValidationError) as exc:
                problems.append(f"订单 {order.order_no}：{domain_error_message(exc)}")
        if shipped:
            self.message_user(request, f"已发货 {shipped} 个订单。", messages.SUCCESS)
        for problem in problems:
            self.message_user(request, f"未发货：{problem}", messages.ERROR)
        if not shipped and not problems:
            self.message_user(request, "所选订单中没有待发货的订单。", messages.WARNING)

    @admin.action(description="打印所选订单的拣货单", permissions=["view"])
    def print_pick_list(self, request, queryset):
        return admin_views.pick_list_response(request, self, queryset, "所选订单")


@admin.register(ReceiverReveal)
class ReceiverRevealAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who saw which receiver's full details, when and how. Read-only, for managers."""

    list_display = ["revealed_at", "user", "order_no", "how", "detail"]
    list_filter = ["how", ("revealed_at", admin.DateFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["^order_no", "^user__username"]
    date_hierarchy = "revealed_at"
    show_full_result_count = False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "个人信息查看记录", **(extra_context or {})})


@admin.register(Carrier)
class CarrierAdmin(TimelineAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "kuaidi100_code",
        "tracking_number_pattern",
        "tracking_url_template",
        "is_active",
        "sort_order",
    ]
    list_editable = [
        "code",
        "kuaidi100_code",
        "tracking_number_pattern",
        "tracking_url_template",
        "is_active",
        "sort_order",
    ]
    list_display_links = ["name"]
    search_fields = ["name", "code"]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "快递公司", **(extra_context or {})})
