"""Admin views OrderAdmin.get_urls wires in: the desk's pages (orders.desk.views) and the logged 复制."""

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from orders import privacy
from orders.desk.views import (
    SLIP_ORDERS_MAX,
    packing_slips_url,
    packing_slips_view,
    paste_view,
    pick_list_response,
    pick_list_view,
    scan_view,
)
from orders.models import Order, ReceiverReveal

__all__ = [
    "SLIP_ORDERS_MAX",
    "packing_slips_url",
    "packing_slips_view",
    "paste_view",
    "pick_list_response",
    "pick_list_view",
    "receiver_reveal_view",
    "scan_view",
]


@require_POST
def receiver_reveal_view(request, model_admin, object_id):
    """Return one order's full receiver details as JSON and record who saw them."""
    order = get_object_or_404(Order, pk=object_id)
    if not model_admin.has_view_permission(request, order):
        raise PermissionDenied
    if order.receiver_encrypted:  # the page shows no 复制 for it; a shipping label must come from the platform
        return JsonResponse({"error": "平台加密订单没有可复制的收货信息，请用平台打单得到的快递单号发货。"}, status=409)
    privacy.record_reveal(order, request.user, ReceiverReveal.How.COPY)
    response = JsonResponse({"text": privacy.full_receiver_text(order)})
    response["Cache-Control"] = "no-store"
    return response
