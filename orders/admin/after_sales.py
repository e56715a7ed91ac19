"""售后单: the list, the case page with its transition buttons, and 新建售后 from an order.

The admin configures and asks; every write is one orders.after_sales service, whose refusal is
shown through services.error_messages next to what the user did.
"""

from functools import update_wrapper

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from inventory.models import InventoryItem
from orders import after_sales, selectors, services
from orders.models import AfterSaleCase, Carrier, Order, Parcel

HANDLE_PERMISSION = "orders.handle_aftersalecase"
NEW_TEMPLATE = "admin/orders/aftersalecase/new.html"


@admin.register(AfterSaleCase)
class AfterSaleCaseAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "order_link",
        "kind",
        "status",
        "reason",
        "return_tracking_number",
        "created_at",
        "created_by",
    ]
    list_filter = ["kind", "status", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["order__order_no", "return_tracking_number"]
    list_select_related = ["order", "created_by"]
    list_per_page = 50
    change_form_template = "admin/orders/aftersalecase/change_form.html"
    fields = [
        "order_link",
        "kind",
        "status",
        "reason",
        "note",
        "return_carrier",
        "return_tracking_number",
        "parcel",
        "intercept_result",
        "steps",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # 新建售后 starts from the order (it needs the order's lines)

    def has_delete_permission(self, request, obj=None):
        return False  # a case is a record: it is closed (拒绝/取消), never deleted

    def has_change_permission(self, request, obj=None):
        return False  # the page's buttons are the only way to change a case

    def has_handle_permission(self, request):
        return request.user.has_perm(HANDLE_PERMISSION)

    def get_search_results(self, request, queryset, search_term):
        # A return number is stored normalised (upper case, full-width folded): search it so too.
        return super().get_search_results(request, queryset, search_term.strip())

    @admin.display(description="售后单", ordering="pk")
    def number(self, case):
        return str(case)

    @admin.display(description="订单", ordering="order__order_no")
    def order_link(self, case):
        url = reverse("admin:orders_order_change", args=[case.order_id])
        return format_html('<a href="{}">{}</a>', url, case.order.order_no)

    @admin.display(description="经过")
    def steps(self, case):
        return format_html_join(mark_safe("<br>"), "{}", ((row,) for row in selectors.after_sale_steps(case)))

    def get_urls(self):
        def wrap(view):
            def bound(request, *args, **kwargs):
                return view(request, self, *args, **kwargs)

            return self.admin_site.admin_view(update_wrapper(bound, view))

        return [
            path("new/<int:order_id>/", wrap(new_case_view), name="orders_aftersalecase_new"),
            path("<int:object_id>/step/<str:step>/", wrap(transition_view), name="orders_aftersalecase_step"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["case"] = obj
            context["can_handle"] = self.has_handle_permission(request) and obj.is_open
            context["case_lines"] = list(obj.lines.select_related("line__item").order_by("pk"))
            context["reissue_lines"] = list(obj.reissue_lines.select_related("item", "line__item").order_by("pk"))
            context["reissue_parcels"] = list(obj.reissue_parcels.select_related("carrier").order_by("pk"))
            context["carriers"] = Carrier.objects.filter(is_active=True)
            context["steps"] = after_sales.available_steps(obj)
            context["waits_for_return"] = obj.kind in AfterSaleCase.RETURNS_GOODS and obj.received_at is None
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


# --- 新建售后 --------------------------------------------------------------------------------------


class NewCaseForm(forms.Form):
    """The case's kind, reason and return number; one quantity (and for 换货 an item) per order line."""

    kind = forms.ChoiceField(label="售后类型", choices=AfterSaleCase.Kind.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label="售后原因", max_length=200, required=False)
    return_carrier = forms.ModelChoiceField(
        label="退货快递公司", queryset=Carrier.objects.filter(is_active=True), required=False, empty_label="（不确定）"
    )
    return_tracking_number = forms.CharField(
        label="退货快递单号", max_length=40, required=False, help_text="买家寄回时的单号，可以以后再填。"
    )
    parcel = forms.ModelChoiceField(
        label="拦截包裹", queryset=Parcel.objects.none(), required=False, empty_label="（不拦截）"
    )
    note = forms.CharField(label="备注", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, order, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.fields["parcel"].queryset = Parcel.objects.filter(
            pk__in=order.parcel_pks, status__in=Parcel.LIVE
        ).select_related("carrier")
        self.fields["parcel"].label_from_instance = lambda p: f"{p.carrier.name} {p.tracking_number}"
        for row in rows:
            self.fields[f"qty_{row.line.pk}"] = forms.IntegerField(
                label=f"{row.line.item.sku} 数量", min_value=0, max_value=row.line.quantity, required=False
            )
            self.fields[f"item_{row.line.pk}"] = forms.CharField(
                label=f"{row.line.item.sku} 换成 SKU", max_length=64, required=False
            )

    def clean(self):
        cleaned = super().clean()
        # 换货 to another item, named by SKU: every SKU typed is looked up in one query.
        wanted = {name: text.strip() for name, text in cleaned.items() if name.startswith("item_") and text}
        found = InventoryItem.objects.in_bulk(set(wanted.values()), field_name="sku")
        for name, sku in wanted.items():
            if sku in found:
                cleaned[name] = found[sku]
            else:
                self.add_error(name, f"找不到 SKU “{sku}”，请核对。")
        return cleaned

    def quantity_field(self, row):
        return self[f"qty_{row.line.pk}"]

    def item_field(self, row):
        return self[f"item_{row.line.pk}"]

    def chosen(self):
        """[(row, units, item to send or None)] of the lines given a quantity."""
        return [
            (row, units, self.cleaned_data.get(f"item_{row.line.pk}"))
            for row in self.rows
            if (units := self.cleaned_data.get(f"qty_{row.line.pk}"))
        ]


def new_case_view(request, model_admin, order_id):
    """新建售后 for one order: the form, then after_sales.create_case; the new case's page after."""
    if not model_admin.has_handle_permission(request):
        raise PermissionDenied
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise Http404("订单不存在。")
    rows = selectors.after_sale_line_rows(order)
    order.parcel_pks = selectors.parcel_pks_of(order)
    form = NewCaseForm(request.POST or None, order=order, rows=rows, initial={"kind": AfterSaleCase.Kind.RETURN_REFUND})
    if request.method == "POST" and form.is_valid():
        chosen, data = form.chosen(), form.cleaned_data
        lines = [(row.line, units) for row, units, _item in chosen]
        reissue = [(row.line, item or row.line.item, units) for row, units, item in chosen]
        try:
            case = after_sales.create_case(
                order,
                data["kind"],
                lines,
                reason=data["reason"],
                note=data["note"],
                reissue=reissue if data["kind"] in AfterSaleCase.SENDS_GOODS else None,
                parcel=data["parcel"],
                return_carrier=data["return_carrier"],
                return_tracking_number=data["return_tracking_number"],
                user=request.user,
            )
        except ValidationError as exc:
            for message in services.error_messages(exc):
                form.add_error(None, message)
        else:
            model_admin.message_user(request, created_message(case), messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:orders_aftersalecase_change", args=[case.pk]))
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"新建售后：订单 {order.order_no}",
        "order": order,
        "form": form,
        "rows": [(row, form.quantity_field(row), form.item_field(row)) for row in rows],
        "order_url": reverse("admin:orders_order_change", args=[order.pk]),
    }
    return TemplateResponse(request, NEW_TEMPLATE, context, status=422 if form.errors else 200)


def created_message(case):
    text = f"已新建{case}（{case.get_kind_display()}，订单 {case.order.order_no}）。"
    if case.hold_id:
        text += "订单还有未发货的商品，已挂起（退款中），售后单关闭前不能发货。"
    elif case.kind == AfterSaleCase.Kind.INTERCEPT:
        text += case.intercept_result
    elif case.kind in AfterSaleCase.RETURNS_GOODS:
        text += "退货到了以后，在扫码发货页扫描退货单号收货入库。"
    return text


# --- The case page's buttons -------------------------------------------------------------------


def transition_view(request, model_admin, object_id, step):
    """One button of the case page (POST): the step's service, then a message saying what happened."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not model_admin.has_handle_permission(request):
        raise PermissionDenied
    case = get_object_or_404(AfterSaleCase.objects.select_related("order"), pk=object_id)
    carrier = Carrier.objects.filter(pk=request.POST.get("carrier") or None).first()
    number, note = request.POST.get("tracking_number", ""), request.POST.get("note", "")
    steps = {
        "return": lambda: after_sales.record_return_shipment(case, carrier, number, user=request.user),
        "reissue": lambda: after_sales.ship_reissue(case, carrier, number, user=request.user),
        "complete": lambda: after_sales.complete_case(case, user=request.user),
        "reject": lambda: after_sales.reject_case(case, note=note, user=request.user),
        "cancel": lambda: after_sales.cancel_case(case, note=note, user=request.user),
    }
    if step not in steps:
        raise Http404("没有这个操作。")
    if step == "reissue" and carrier is None:
        model_admin.message_user(request, "未补发：请选择快递公司。", messages.ERROR)
        return HttpResponseRedirect(reverse("admin:orders_aftersalecase_change", args=[case.pk]))
    try:
        done = steps[step]()
    except (ValidationError, services.InsufficientStock) as exc:
        for message in services.error_messages(exc):
            model_admin.message_user(request, f"未{STEP_LABELS[step]}：{message}", messages.ERROR)
    else:
        model_admin.message_user(request, step_message(case, step, done), messages.SUCCESS)
    return HttpResponseRedirect(reverse("admin:orders_aftersalecase_change", args=[case.pk]))


STEP_LABELS = {"return": "登记退货单号", "reissue": "补发", "complete": "完成", "reject": "拒绝", "cancel": "取消"}


def step_message(case, step, done):
    """What the user reads after a step went through."""
    case.refresh_from_db()
    case.order.refresh_from_db()
    if step == "return":
        return f"已登记{case}的退货单号 {case.return_tracking_number}（退货在途）；包裹到了在扫码发货页扫描收货。"
    if step == "reissue":
        after = "售后单已完成。" if case.status == AfterSaleCase.Status.COMPLETED else "退货收到后再点“完成”。"
        return f"已补发{case}：{done.carrier.name} {done.tracking_number}，库存已扣减。{after}"
    if case.order.status == Order.Status.CANCELLED:
        released = f"，订单 {case.order.order_no} 已全额退款，订单已取消"
    elif case.hold_id and case.hold.released_at:
        released = "，订单的退款挂起已解除，可以发货了"
    else:
        released = ""
    return f"{case}已{case.get_status_display().removeprefix('已')}{released}。"
