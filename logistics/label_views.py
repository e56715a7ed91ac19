"""打印面单: the stored e-waybill labels of the chosen orders (or one parcel) on one print page,
and the clerk's confirmation that the print went through. CourierOrderAdmin wires them in."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from logistics.models import Sender
from logistics.services import labels
from orders.desk.views import packing_slips_url, pick_list_url

LABELS_MAX = 500  # ids in the page's address


def ids_from(text):
    return [int(part) for part in (text or "").split(",") if part.strip().isdigit()][:LABELS_MAX]


def labels_url(*, order_pks=(), parcel_pk=None, unprinted=False):
    if unprinted:
        query = {"unprinted": 1}
    else:
        query = {"parcel": parcel_pk} if parcel_pk else {"ids": ",".join(map(str, order_pks))}
    return f"{reverse('admin:orders_order_labels')}?{urlencode(query)}"


def labels_view(request, model_admin):
    """GET ?ids=order pks, ?parcel=pk (one reprint) or ?unprinted=1 (every 已取号 label not printed
    yet): one label per printed page, 1:1, in the pick list's order."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    unprinted = request.GET.get("unprinted") == "1"
    parcel_pks = labels.unprinted_parcel_pks() if unprinted else ids_from(request.GET.get("parcel"))
    order_pks = [] if unprinted else ids_from(request.GET.get("ids"))
    waybills = labels.waybills_to_print(order_pks=order_pks, parcel_pks=parcel_pks) if parcel_pks or order_pks else []
    batch_orders = list(dict.fromkeys(waybill.order_id for waybill in waybills))
    page_size = labels.label_size()
    label_width, label_height = page_size.split()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "打印面单",
        "printable": [waybill for waybill in waybills if waybill.label_file],
        "missing": [waybill for waybill in waybills if not waybill.label_file],
        "without_waybill": [] if parcel_pks else list(labels.orders_without_labels(order_pks)),
        "unprinted": unprinted,
        "unprinted_limit": labels.UNPRINTED_LIMIT,
        # The wave's pick list and packing slips: what these labels' parcels hold.
        "pick_list_url": pick_list_url(batch_orders) if batch_orders else "",
        "packing_slips_url": packing_slips_url(batch_orders) if batch_orders else "",
        "page_size": page_size,
        "paper": Sender.LabelSize(page_size).label,
        "label_width": label_width,
        "label_height": label_height,
        "changelist_url": reverse("admin:orders_order_changelist"),
    }
    return TemplateResponse(request, "admin/logistics/labels.html", context)


@require_POST
def labels_printed_view(request, model_admin):
    """打印完成: count one print of each label the page showed (a browser cannot tell by itself)."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    counted = labels.record_labels_printed(ids_from(request.POST.get("waybills")), user=request.user)
    messages.success(request, f"已记录 {counted} 张面单打印完成。没打出来的可在订单页“重打面单”。")
    return HttpResponseRedirect(reverse("admin:orders_order_changelist"))
