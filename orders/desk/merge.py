"""合并发货: the list action that ships the selected orders of one receiver as one parcel.

An intermediate page asks for the carrier and the tracking number; services.ship_parcel decides
and writes, as everywhere else.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from orders import selectors, services
from orders.models import Carrier, receiver_key


class MergeShipForm(forms.Form):
    carrier = forms.ModelChoiceField(
        label="快递公司", queryset=Carrier.objects.filter(is_active=True), empty_label="请选择快递公司"
    )
    tracking_number = forms.CharField(label="快递单号", max_length=40)


def receivers_of(orders):
    """[(receiver name, [order no, ...]), ...]: the distinct receivers of `orders`, in their order."""
    groups = {}
    for order in orders:
        groups.setdefault(receiver_key(order), (order.receiver_name, []))[1].append(order.order_no)
    return list(groups.values())


@admin.action(description="合并发货（同一收货人的订单发一个包裹）", permissions=["change"])
def merge_ship(modeladmin, request, queryset):
    """Ship what is left of the selected orders (one receiver) in one parcel, after asking for its number."""
    orders = list(queryset.order_by("created_at", "pk"))
    receivers = receivers_of(orders)
    if len(orders) < 2:
        modeladmin.message_user(request, "合并发货需要选择同一收货人的至少两个订单。", messages.WARNING)
        return None
    if len(receivers) > 1:
        names = "；".join(f"{name}（订单 {'、'.join(order_nos)}）" for name, order_nos in receivers)
        modeladmin.message_user(request, f"不能合并发货：所选订单的收货人不同——{names}。", messages.ERROR)
        return None
    remaining = selectors.remaining_lines(orders)
    form = MergeShipForm(request.POST if "apply" in request.POST else None)
    errors = []
    if form.is_valid():
        lines = [pair for order in orders for pair in remaining[order.pk]]
        carrier, number = form.cleaned_data["carrier"], form.cleaned_data["tracking_number"]
        # Naming the orders lets the check name one with nothing left, which ship_parcel would drop.
        review = services.check_shipments([services.Shipment(carrier, number, lines, orders=orders)])
        try:
            if not review.ok:
                raise services.ShipmentRefused(review.messages())
            parcel = services.ship_parcel(lines, carrier, number, user=request.user)
        except (services.ShipmentRefused, services.InsufficientStock) as exc:
            errors = services.error_messages(exc)
        else:
            order_nos = "、".join(order.order_no for order in orders)
            modeladmin.message_user(
                request,
                f"已合并发货：订单 {order_nos} 装入一个包裹（{carrier.name} {parcel.tracking_number}）。",
                messages.SUCCESS,
            )
            return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": "合并发货",
        "orders": [(order, remaining[order.pk]) for order in orders],
        "receiver_name": receivers[0][0],
        "form": form,
        "errors": errors,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "action_name": "merge_ship",
    }
    return TemplateResponse(request, "admin/orders/order/merge_ship.html", context)
