"""The order admin: the list (inline shipping, lines, parcels), the order page and its actions."""

from functools import update_wrapper

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from import_export.forms import ExportForm

from accounts.roles import CHANGE_ORDER_DETAILS, order_fields_locked_for
from audit.admin import TimelineAdminMixin
from inventory.admin import item_thumbnail
from inventory.models import StockMovement
from orders import admin_views, privacy, selectors, services, views
from orders.admin import batch_ship, chat_orders, holds, parcel_views
from orders.admin.filters import (
    HoldFilter,
    ParcelStageFilter,
    ShipByFilter,
    ShipStatusFilter,
    ShopFilter,
    StockFilter,
)
from orders.admin.forms import (
    REGION_FIELDS,
    OrderChangeListForm,
    OrderChangeListFormSet,
    OrderForm,
    OrderImportConfirmForm,
    OrderImportForm,
    carrier_names,
    live_parcels,
    safe_url,
    tracking_links,
)
from orders.admin.pagination import CappedCountPaginator
from orders.admin.save_report import list_save_message
from orders.admin.shipped import shipped_summary
from orders.desk.merge import merge_ship
from orders.models import Carrier, Order, OrderHold, OrderLine, Parcel, ParcelLine, ReceiverReveal, Shop
from orders.platforms.recognise import OrderFileFormat
from orders.platforms.rows import ENCRYPTED_PLACEHOLDER
from orders.resources import OrderExportResource, OrderImportResource, TrackingImportResource
from orders.selectors import (
    SHORTAGE_RULE,
    ShipByState,
    end_of_today,
    has_several_shops,
    lines_in_stock,
    mergeable_order_pks,
    only_shop,
    order_search_filter,
    ship_by_state,
    shortages_by_order,
)
from orders.timeline import order_timeline
from spreadsheets.admin import SelectedRowsExportMixin, SpreadsheetImportMixin


def short_time(value):
    return timezone.localtime(value).strftime("%m-%d %H:%M") if value else "-"


ENCRYPTED_HINT = "平台隐藏了收货信息：请用平台打单得到的快递单号发货（填入、导入或扫描），不能复制地址下单。"


def copy_button(order):
    """复制: the full details are fetched on click from a logging endpoint, never put in the page.

    A 平台加密 order has no address to copy: its badge stands where the button would."""
    if order.receiver_encrypted:
        return format_html('<span class="badge badge-encrypted" title="{}">平台加密</span>', ENCRYPTED_HINT)
    url = reverse("admin:orders_order_receiver", args=[order.pk])
    return format_html(
        '<button type="button" class="copy-btn" data-copy-url="{}" title="复制完整收货信息（会留记录）">复制</button>',
        url,
    )


def shortage_badge(shortages):
    """缺货：SKU-A 差 2、SKU-B 差 1 (see orders.selectors.short_lines), or "" when nothing is short."""
    if not shortages:
        return ""
    return format_html(
        '<span class="badge badge-short" title="{}">缺货：{}</span>', SHORTAGE_RULE, "、".join(map(str, shortages))
    )


class DomainErrorsAsMessages:
    """Turns a domain error raised while saving (after the forms validated) into error messages.

    The admin's save already ran in a transaction that the error rolled back, so nothing changed.
    services.error_messages is the one translator.
    """

    def _with_domain_errors(self, view, request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (services.InsufficientStock, ValidationError) as exc:
            for message in services.error_messages(exc):
                self.message_user(request, f"未保存：{message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class StockMovementInline(admin.TabularInline):
    model = StockMovement
    fk_name = "order"
    verbose_name_plural = "库存流水"
    fields = ["created_at", "item", "delta", "reason", "parcel", "balance_after", "created_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item", "created_by", "parcel")


class OrderLineInline(admin.TabularInline):
    """订单商品: editable while nothing of the order shipped, and only with orders.change_order_details."""

    model = OrderLine
    fields = ["picture", "item", "quantity", "sub_order_no"]
    readonly_fields = ["picture"]
    autocomplete_fields = ["item"]
    extra = 0
    min_num = 1
    verbose_name_plural = "订单商品"

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, validate_min=True, **kwargs)  # an order has a line

    @admin.display(description="图片")
    def picture(self, line):
        return item_thumbnail(line.item) if line.item_id else "-"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item")

    def _may_edit(self, request, obj):
        if obj is None:
            return request.user.has_perm("orders.add_order")
        return obj.status == Order.Status.PENDING and request.user.has_perm(CHANGE_ORDER_DETAILS)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order") or request.user.has_perm("orders.change_order")

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)


class OrderChangeList(ChangeList):
    """The order list: its rows' 快递公司 and 快递单号 are form fields, not model fields.

    Django's check admin.E121 refuses non-model names in ModelAdmin.list_editable, so they are
    set here; the page's pending orders that could share a parcel, and its orders short of stock,
    are found in one query each.
    """

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        if not self.is_popup:
            self.list_editable = ROW_SHIPPING_FIELDS

    def get_results(self, request):
        super().get_results(request)
        mergeable = mergeable_order_pks(self.result_list)
        shortages = shortages_by_order(order.pk for order in self.result_list if order.is_open)
        for order in self.result_list:
            order.could_merge = order.pk in mergeable
            order.shortages = shortages.get(order.pk, [])
        # The page's shops in one query (orders stay the only table of the page's query), and
        # each row's ship-by state against one "now".
        shops = Shop.objects.in_bulk({order.shop_id for order in self.result_list})
        now = timezone.now()
        today_ends = end_of_today(now)
        for order in self.result_list:
            order.shop = shops[order.shop_id]
            order.ship_by_state = ship_by_state(order, now, today_ends)

    @property
    def empty_hint(self):
        """What an empty page says: which 发货状态 view is empty, and a way to every order (issue 16.7)."""
        spec = next((spec for spec in self.filter_specs if isinstance(spec, ShipStatusFilter)), None)
        if spec is None or spec.value() == "all":
            return ""
        title = dict(spec.lookup_choices).get(spec.value(), "")
        everything = self.get_query_string({ShipStatusFilter.parameter_name: "all"})
        return format_html('“{}”里没有订单。<a href="{}">查看全部订单</a>', title, everything)


ROW_SHIPPING_FIELDS = ("carrier", "tracking_number")
SHOP_COLUMN = "order_no_and_shop"  # the 订单号 column when there are several shops
MERGE_HINT = "同一收货人还有待发货的订单，可合并发货"
THUMBNAILS_SHOWN = 2  # lines shown whole in a list cell; more become "共 n 种 m 件"


@admin.register(Order)
class OrderAdmin(
    SpreadsheetImportMixin, DomainErrorsAsMessages, TimelineAdminMixin, SelectedRowsExportMixin, admin.ModelAdmin
):
    form = OrderForm
    timeline_builder = staticmethod(order_timeline)
    # Export (issue 3, 16): CSV and XLSX for Excel (SelectedRowsExportMixin), the report's Chinese headers.
    export_file_stem = "订单导出"
    export_sheet_title = "订单"
    export_form_class = ExportForm
    show_change_form_export = False  # the export action and button on the list, not on each order
    import_export_change_list_template = "admin/orders/order/change_list.html"
    change_form_template = "admin/orders/order/change_form.html"
    # Imports (issue 4): each row through the same services as the list page; all or nothing.
    import_resource_classes = [TrackingImportResource, OrderImportResource]
    import_form_class = OrderImportForm
    confirm_form_class = OrderImportConfirmForm
    import_findings_template = "admin/orders/order/import_findings.html"
    list_display = [
        "order_no",
        "order_lines",
        "receiver_name",
        "masked_phone",
        "address_with_copy",
        "status_badge",
        "carrier",
        "tracking_number",
        "ordered",
    ]
    list_display_links = ["order_no"]
    list_editable = []  # the rows' carrier and number: see OrderChangeList
    list_select_related = []  # lines and parcels are prefetched (get_queryset); no join multiplies rows
    # The clerk needs the page links, not a second COUNT(*) of the whole table.
    show_full_result_count = False
    list_filter = [
        ShipStatusFilter,
        ParcelStageFilter,
        StockFilter,
        HoldFilter,
        ShipByFilter,
        ShopFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    # Shows the search box; get_search_results picks the indexed prefix matches by what was typed.
    search_fields = ["^order_no", "^receiver_name", "^receiver_phone"]
    search_help_text = "按订单号、快递单号、收货人或电话搜索（搜索范围为全部订单）"
    list_per_page = 50
    # Rows counted at most for the pagination line (beyond it: "10000+"), see CappedCountPaginator.
    list_count_cap = 10_000
    actions = [
        "void_parcels",
        "cancel_orders",
        "print_pick_list",
        "print_packing_slips",
        merge_ship,
        "hold_orders",
        "release_holds",
    ]
    readonly_fields = ["status_badge", "receiver_copy", "updated_at"]
    fieldsets = [
        ("订单信息", {"fields": ["shop", "order_no", "customer_id", "created_at", "ship_by", "note", "version"]}),
        ("收货信息", {"fields": ["receiver_name", "receiver_phone", *REGION_FIELDS, "address", "receiver_copy"]}),
        ("物流信息", {"fields": ["status_badge"]}),
    ]
    add_fieldsets = [
        ("订单信息", {"fields": ["shop", "order_no", "customer_id", "created_at", "ship_by", "note"]}),
        ("收货信息", {"fields": ["receiver_name", "receiver_phone", *REGION_FIELDS, "address"]}),
    ]
    inlines = [OrderLineInline, StockMovementInline]

    class Media:
        css = {"all": ["orders/css/admin.css"]}
        js = ["orders/js/copy.js", "orders/js/order_list.js"]

    def get_queryset(self, request):
        # Lines with their items and live parcels with their carriers, prefetched: two queries
        # per page whatever its rows, and orders stay the only table of the page's query.
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("lines", queryset=OrderLine.objects.select_related("item").order_by("pk")),
                # The rows' 挂起 badges: the page's active holds, one query.
                Prefetch("holds", queryset=OrderHold.objects.active().order_by("created_at", "pk"), to_attr="active"),
                Prefetch(
                    "lines__parcel_lines",
                    queryset=ParcelLine.objects.filter(parcel__status__in=Parcel.LIVE)
                    .select_related("parcel__carrier")
                    .order_by("parcel_id", "pk"),
                ),
            )
        )

    def get_object(self, request, object_id, from_field=None):
        order = super().get_object(request, object_id, from_field)
        if order is not None and request.method == "POST" and transaction.get_connection().in_atomic_block:
            # A save (inside changeform_view's transaction) holds the row: two saves of one
            # order serialise, and the second compares its version with the first's result.
            order = Order.objects.select_for_update().get(pk=order.pk)
        return order

    def get_changelist(self, request, **kwargs):
        return OrderChangeList

    def get_list_display(self, request):
        # 店铺 only when there is a choice of shops, under the order number (no column to spare at 1280 px).
        shown = super().get_list_display(request)
        return [SHOP_COLUMN if name == "order_no" else name for name in shown] if has_several_shops() else shown

    def get_list_display_links(self, request, list_display):
        links = super().get_list_display_links(request, list_display)
        return [SHOP_COLUMN if name == "order_no" else name for name in links] if SHOP_COLUMN in list_display else links

    def get_changeform_initial_data(self, request):
        return {"shop": only_shop(), **super().get_changeform_initial_data(request)}

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        if not self.has_change_permission(request, obj):
            # The edit guard's hidden field would show to a reader as "Version: None".
            shown = [(name, [f for f in opts["fields"] if f != "version"]) for name, opts in self.fieldsets]
            return [(name, {"fields": fields}) for name, fields in shown]
        return super().get_fieldsets(request, obj)

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
            path("add-from-message/", wrap(chat_orders.add_from_message_view), name="orders_order_add_from_message"),
            path("pick-list/", wrap(admin_views.pick_list_view), name="orders_order_pick_list"),
            path("packing-slips/", wrap(admin_views.packing_slips_view), name="orders_order_packing_slips"),
            path("batch-ship/", wrap(batch_ship.batch_ship_view), name="orders_order_batch_ship"),
            path("<int:object_id>/receiver/", wrap(admin_views.receiver_reveal_view), name="orders_order_receiver"),
            path("<int:object_id>/ship-part/", wrap(parcel_views.ship_part_view), name="orders_order_ship_part"),
            path("<int:object_id>/hold/", wrap(holds.hold_view), name="orders_order_hold"),
            path("<int:object_id>/holds/<int:hold_id>/release/", wrap(holds.release_view), name="orders_order_release"),
            path(
                "<int:object_id>/parcels/<int:parcel_id>/void/",
                wrap(parcel_views.void_parcel_view),
                name="orders_order_void_parcel",
            ),
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
        # The clerk works the unshipped queue oldest first; everything else reads newest first.
        if self._pending_queue(request):
            return ["created_at", "id"]
        return ["-created_at", "-id"]

    def get_import_formats(self):
        return [OrderFileFormat]  # finds a platform export's header row below its title lines

    def get_import_resource_kwargs(self, request, **kwargs):
        # The shop and platform chosen on the upload page, carried to the confirm step (OrderImportConfirmForm).
        form = kwargs.get("form")
        cleaned = form.cleaned_data if form is not None and hasattr(form, "cleaned_data") else {}
        kwargs = super().get_import_resource_kwargs(request, **kwargs)
        resource = self.choose_import_resource_class(form, request) if cleaned else None
        if resource is OrderImportResource:
            kwargs["platform"] = cleaned.get("platform", "")
        return {**kwargs, "shop": cleaned.get("shop")}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        shop = import_form.cleaned_data.get("shop") if import_form is not None else None
        platform = import_form.cleaned_data.get("platform", "") if import_form is not None else ""
        return {**initial, "shop": shop.pk if shop else "", "platform": platform}

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

    def import_success_message(self, result):
        orders, parcels = getattr(result, "shipped", ([], []))
        if parcels:  # 导入快递单号: which orders shipped, with which carriers, and where to see them
            return shipped_summary("导入完成", orders, parcels)
        message = super().import_success_message(result)
        held = [order.order_no for order, _words in getattr(result, "flagged", [])]
        if held:  # 导入订单: orders already here that the platform now shows refunded
            message += f" 平台显示退款或关闭的 {len(held)} 个已有订单已挂起（退款中）：{'、'.join(held)}。"
        return message

    def shipping_report_view(self, request):
        return views.shipping_report(request, self)

    def get_changelist_form(self, request, **kwargs):
        return OrderChangeListForm

    def get_changelist_formset(self, request, **kwargs):
        formset = super().get_changelist_formset(request, formset=OrderChangeListFormSet, **kwargs)
        formset.carriers = list(Carrier.objects.all())  # one query per page, not per row
        return formset

    def save_model(self, request, obj, form, change):
        if isinstance(form, OrderChangeListForm):
            # A list row ships: the formset ships all the save's rows in one ship_orders call.
            shipped = form.formset.ship(request.user)
            if shipped:
                self.message_user(request, list_save_message(shipped), messages.SUCCESS)
                request.list_save_reported = True
            return
        if not change:
            return  # a new order is written with its lines by services.create_orders (save_related)
        obj.changed_by = request.user
        services.set_default_ship_by(obj)
        obj.save()

    def void_messages(self, parcel):
        """More (level, message) pairs for the clerk after `parcel` was voided; none here. The courier
        admin (logistics) says what became of its e-waybill."""
        return []

    def message_user(self, request, message, level=messages.INFO, extra_tags="", fail_silently=False):
        if level == messages.SUCCESS and getattr(request, "list_save_reported", False):
            return  # Django's "总共 n 个 订单 变更成功。": the save already said what it shipped
        super().message_user(request, message, level, extra_tags, fail_silently)

    def save_related(self, request, form, formsets, change):
        if change:
            return super().save_related(request, form, formsets, change)
        # 新增订单 goes through the one door for new orders, so the 审单 rules hold it like an import.
        saved = {formset.model: formset.save(commit=False) for formset in formsets}  # the ledger inline adds none
        lines = saved.get(OrderLine, [])
        services.create_orders([(form.instance, lines)], user=request.user)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        # Ops fix receivers only (accounts.roles); the version stamp is the form's, never locked.
        form_fields = [name for name in flatten_fieldsets(self.fieldsets) if name not in [*readonly, "version"]]
        locked = order_fields_locked_for(request.user, form_fields)
        if obj.status != Order.Status.PENDING and "shop" not in locked:
            locked.append("shop")  # an order moves to another shop only before anything shipped
        return readonly + locked

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "订单", "can_ship": self.has_change_permission(request), **(extra_context or {})}
        if request.method == "POST" and "_save" in request.POST:
            # One transaction from reading the rows (locked, see OrderChangeListFormSet) to the save.
            view = transaction.atomic(super().changelist_view)
        else:
            view = super().changelist_view
        response = self._with_domain_errors(view, request, extra_context)
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

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["parcels"] = parcel_views.parcels_of([obj])
            for parcel in context["parcels"]:
                parcel.safe_tracking_url = safe_url(parcel.tracking_url)
            context["can_ship"] = self.has_change_permission(request, obj) and obj.is_open
            shortages = shortages_by_order([obj.pk]).get(obj.pk, [])
            context["shortage_badge"] = shortage_badge(shortages)
            context["in_stock_lines"] = lines_in_stock(obj) if shortages else []
            context["can_void"] = self.has_change_permission(request, obj)
            context["holds"] = list(
                obj.holds.select_related("created_by", "released_by").order_by("-created_at", "-pk")
            )
            active = {hold.pk for hold in services.active_holds([obj.pk]).get(obj.pk, [])}
            for hold in context["holds"]:
                hold.is_active, hold.text = hold.pk in active, services.hold_text(hold)
            context["can_hold"] = self.has_hold_permission(request) and obj.is_open
            context["can_release"] = self.has_release_permission(request)
            context["after_sales"] = selectors.after_sales_of(obj)
            context["can_open_after_sale"] = (
                request.user.has_perm("orders.handle_aftersalecase") and obj.status != Order.Status.CANCELLED
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        order = getattr(response, "context_data", {}).get("original")
        if order is not None and response.status_code == 200:
            # The page shows the full phone and address, also when re-shown after a refused save (PIPL).
            privacy.record_reveal(order, request.user, ReceiverReveal.How.PAGE)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        order = getattr(response, "context_data", {}).get("object")
        if order is not None and response.status_code == 200:
            # The timeline shows receivers' phones and addresses as they were edited.
            privacy.record_reveal(order, request.user, ReceiverReveal.How.PAGE, detail="操作记录")
        return response

    def action_checkbox(self, order):
        # Django's markup, without a template render per row (see orders/widgets.py).
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            order.pk,
            format_html(gettext("Select this object for an action - {}"), str(order)),
        )

    @admin.display(description="商品")
    def order_lines(self, order):
        lines = list(order.lines.all())
        every = "；".join(f"{line.item.sku} {line.item.name} × {line.quantity}" for line in lines)
        if len(lines) <= THUMBNAILS_SHOWN:
            cells = format_html_join(
                "",
                '<span class="order-line">{}<span class="line-sku">{} × {}</span></span>',
                [(item_thumbnail(line.item), line.item.sku, line.quantity) for line in lines],
            )
        else:
            cells = format_html(
                '<span class="order-line">{}<span class="line-sku">{} 等，共 {} 种 {} 件</span></span>',
                item_thumbnail(lines[0].item),
                lines[0].item.sku,
                len(lines),
                sum(line.quantity for line in lines),
            )
        merge = format_html('<span class="badge badge-merge" title="{}">可合并</span>', MERGE_HINT)
        return format_html(
            '<span class="order-lines" title="{}">{}</span>{}{}',
            every,
            cells,
            merge if order.could_merge else "",
            shortage_badge(getattr(order, "shortages", [])),
        )

    @admin.display(description="发货状态", ordering="status")
    def status_badge(self, order):
        status = format_html('<span class="status-badge status-{}">{}</span>', order.status, order.get_status_display())
        active = getattr(order, "active", None)  # prefetched on the list; the order page reads its own
        if active is None and order.pk:
            active = services.active_holds([order.pk]).get(order.pk, [])
        if not active or not order.is_open:
            return status
        reasons = "、".join(dict.fromkeys(hold.get_reason_display() for hold in active))
        title = "；".join(services.hold_text(hold) for hold in active)
        return format_html('{}<span class="badge badge-held" title="{}">挂起：{}</span>', status, title, reasons)

    @admin.display(description="快递公司")
    def carrier(self, order):
        return carrier_names(live_parcels(order)) or "-"

    @admin.display(description="快递单号")
    def tracking_number(self, order):
        return tracking_links(live_parcels(order)) or "-"

    @admin.display(description="电话")
    def masked_phone(self, order):
        if order.receiver_encrypted and order.receiver_phone == ENCRYPTED_PLACEHOLDER:
            return ENCRYPTED_PLACEHOLDER  # the platform's word for "no phone", not a phone to mask
        return privacy.mask_phone(order.receiver_phone)

    @admin.display(description="地址")
    def address_with_copy(self, order):
        short = privacy.short_address(order.address)
        return format_html('<span class="address" title="{}">{}</span>{}', short, short, copy_button(order))

    @admin.display(description="订单号", ordering="order_no")
    def order_no_and_shop(self, order):
        return format_html('{}<span class="order-shop">{}</span>', order.order_no, order.shop.name)

    @admin.display(description="下单时间 / 承诺发货", ordering="ship_by")
    def ordered(self, order):
        # Sorting this column sorts by the deadline (承诺发货); unsorted, the queue is oldest first.
        placed = short_time(order.created_at)
        if order.ship_by is None:
            return placed
        state = getattr(order, "ship_by_state", ShipByState.OTHER)
        badge = format_html('<span class="badge ship-by-{}">{}</span>', state, ShipByState(state).label)
        return format_html(
            '{}<span class="ship-by" title="承诺发货时间">{}{}</span>',
            placed,
            short_time(order.ship_by),
            badge if state != ShipByState.OTHER else "",
        )

    @admin.display(description="复制收货信息")
    def receiver_copy(self, order):
        return copy_button(order) if order.pk else "-"

    @admin.action(description="撤销发货（作废所选订单的包裹）", permissions=["change"])
    def void_parcels(self, request, queryset):
        return parcel_views.void_parcels_action(self, request, queryset)

    @admin.action(description="取消订单", permissions=["change"])
    def cancel_orders(self, request, queryset):
        return parcel_views.cancel_orders_action(self, request, queryset)

    def has_hold_permission(self, request):
        return request.user.has_perm(holds.HOLD_PERMISSION)

    def has_release_permission(self, request):
        return request.user.has_perm(holds.HOLD_PERMISSION)

    @admin.action(description="挂起所选订单（暂停发货）", permissions=["hold"])
    def hold_orders(self, request, queryset):
        return holds.hold_orders_action(self, request, queryset)

    @admin.action(description="解除所选订单的挂起", permissions=["release"])
    def release_holds(self, request, queryset):
        return holds.release_holds_action(self, request, queryset)

    @admin.action(description="打印所选订单的发货单", permissions=["view"])
    def print_packing_slips(self, request, queryset):
        pks = list(
            queryset.order_by("created_at", "id").values_list("pk", flat=True)[: admin_views.SLIP_ORDERS_MAX + 1]
        )
        if len(pks) > admin_views.SLIP_ORDERS_MAX:
            self.message_user(
                request, f"一次最多打印 {admin_views.SLIP_ORDERS_MAX} 单的发货单，请少选一些。", messages.WARNING
            )
            return None
        return HttpResponseRedirect(admin_views.packing_slips_url(pks))

    @admin.action(description="打印所选订单的拣货单", permissions=["view"])
    def print_pick_list(self, request, queryset):
        return admin_views.pick_list_response(request, self, queryset, "所选订单")
