"""Admin pages for the clerk's fast paths: 扫码发货, 批量回填, 拣货单, and the logged 复制.

OrderAdmin.get_urls wires these in; each takes the model admin for its context and
permission checks. The rules live in orders.scanning, orders.paste, orders.picking and
orders.privacy.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from orders import paste, picking, privacy, scanning
from orders.models import Carrier, Order, ReceiverReveal

SCAN_FLASH = "scan_flash"
SCAN_UNDO_STACK = "scan_shipped"
UNDO_STACK_SIZE = 20


def _admin_context(request, model_admin, title):
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "has_view_permission": model_admin.has_view_permission(request),
    }


def _require_change(request, model_admin):
    if not model_admin.has_change_permission(request):
        raise PermissionDenied


# ---------------------------------------------------------------- 扫码发货


def scan_view(request, model_admin):
    """GET shows the current order (?order=… or the oldest pending); POST handles one scan."""
    _require_change(request, model_admin)
    if request.method == "POST":
        if request.POST.get("undo") or scanning.normalize_code(request.POST.get("code")).upper() in scanning.UNDO_CODES:
            return _scan_undo(request, model_admin)
        current_id = request.POST.get("current", "")
        current = None
        if current_id.isdigit():
            current = Order.objects.select_related("item", "carrier").filter(pk=current_id).first()
        code = request.POST.get("code", "")
        carrier = None
        choice = scanning.normalize_code(code)
        held = request.POST.get("number", "")
        if held and choice.isdigit() and len(choice) <= 2:
            # The clerk answered "which carrier?" with a number key for the held tracking number.
            candidates = scanning.carrier_candidates(held, list(Carrier.objects.filter(is_active=True)))
            if 1 <= int(choice) <= len(candidates):
                carrier, code = candidates[int(choice) - 1], held
        result = scanning.handle_scan(code, current=current, user=request.user, carrier=carrier)
        if result.kind == "shipped":
            stack = [result.order.pk, *request.session.get(SCAN_UNDO_STACK, [])][:UNDO_STACK_SIZE]
            request.session[SCAN_UNDO_STACK] = stack
            return _scan_done(request, model_admin, result, None)
        if result.kind == "switched":
            return _scan_done(request, model_admin, result, result.order)
        return _render_scan(request, model_admin, result.order, result)
    flash = request.session.pop(SCAN_FLASH, None)
    result = scanning.ScanResult(flash["kind"], flash["message"]) if flash else None
    requested = request.GET.get("order")
    current = scanning.find_order(requested) if requested else scanning.next_unshipped_order()
    if requested and current is None:
        result = scanning.ScanResult("error", f"找不到订单号“{requested}”。")
        current = scanning.next_unshipped_order()
    return _render_scan(request, model_admin, current, result)


def _scan_undo(request, model_admin):
    stack = request.session.get(SCAN_UNDO_STACK, [])
    if not stack:
        result = scanning.ScanResult("error", "本页面还没有可以撤销的发货。")
    else:
        result = scanning.undo_scan(stack[0], user=request.user)
        request.session[SCAN_UNDO_STACK] = stack[1:]
    return _scan_done(request, model_admin, result, result.order)


def _scan_done(request, model_admin, result, show):
    """After a scan that changed something: redirect (POST → GET) to the page showing `show`
    (None = the next unshipped order). scan.js asks for the page itself instead, saving a round trip."""
    url = reverse("admin:orders_order_scan")
    if show is not None:
        url = f"{url}?{urlencode({'order': show.order_no})}"
    if request.headers.get("X-Scan-Fetch") == "1":
        current = show if show is not None else scanning.next_unshipped_order()
        response = _render_scan(request, model_admin, current, result)
        response["X-Scan-Url"] = url
        return response
    request.session[SCAN_FLASH] = {"kind": result.kind, "message": result.message}
    return HttpResponseRedirect(url)


def _render_scan(request, model_admin, current, result):
    stack = request.session.get(SCAN_UNDO_STACK, [])
    last = Order.objects.select_related("carrier").filter(pk=stack[0]).first() if stack else None
    context = {
        **_admin_context(request, model_admin, "扫码发货"),
        "current": current,
        "result": result,
        "state": result.kind if result else "ready",
        "pending_count": scanning.pending_count(),
        "same_receiver": scanning.pending_for_same_receiver(current),
        "last_shipped": last if last and last.status == Order.Status.SHIPPED else None,
        "masked_phone": privacy.mask_phone(current.receiver_phone) if current else "",
        "short_address": privacy.short_address(current.address) if current else "",
    }
    status = 200 if result is None or result.ok or result.kind == "choose" else 422
    return TemplateResponse(request, "admin/orders/order/scan.html", context, status=status)


# ---------------------------------------------------------------- 复制 (logged reveal)


@require_POST
def receiver_reveal_view(request, model_admin, object_id):
    """Return one order's full receiver details as JSON and record who saw them."""
    order = get_object_or_404(Order, pk=object_id)
    if not model_admin.has_view_permission(request, order):
        raise PermissionDenied
    privacy.record_reveal(order, request.user, ReceiverReveal.How.COPY)
    response = JsonResponse({"text": privacy.full_receiver_text(order)})
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- 批量回填


def paste_view(request, model_admin):
    """A text box → preview (every line's outcome) → confirm, all or nothing."""
    _require_change(request, model_admin)
    text = request.POST.get("text", "") if request.method == "POST" else ""
    lines, shipped, confirmed = [], 0, False
    if request.method == "POST" and text.strip():
        if request.POST.get("confirm"):
            lines, shipped = paste.apply_paste(text, user=request.user)
            if shipped or (lines and all(line.ok for line in lines)):
                model_admin.message_user(request, f"批量回填完成：已发货 {shipped} 个订单。")
                return HttpResponseRedirect(reverse("admin:orders_order_paste"))
            confirmed = True
        else:
            lines = paste.preview_paste(text)
    problems = [line for line in lines if not line.ok]
    context = {
        **_admin_context(request, model_admin, "批量回填快递单号"),
        "text": text,
        "lines": lines,
        "problems": problems,
        "ship_count": sum(1 for line in lines if line.ships),
        "confirmed": confirmed,
        "posted": request.method == "POST",
        "max_lines": paste.MAX_LINES,
    }
    return TemplateResponse(request, "admin/orders/order/paste.html", context)


# ---------------------------------------------------------------- 拣货单


def pick_list_response(request, model_admin, orders, scope):
    """The printable pick list for `orders` (a queryset)."""
    rows = picking.pick_rows(orders)
    covered = list(picking.picked_orders(orders))
    context = {
        **_admin_context(request, model_admin, "拣货单"),
        "rows": rows,
        "orders": covered,
        "scope": scope,
        "total_quantity": sum(row.quantity for row in rows),
        "short_rows": [row for row in rows if row.short],
        "changelist_url": reverse("admin:orders_order_changelist"),
    }
    return TemplateResponse(request, "admin/orders/order/pick_list.html", context)


def pick_list_view(request, model_admin):
    """All unshipped orders' pick list (the action gives one for selected orders)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    return pick_list_response(request, model_admin, picking.unshipped_orders(), "全部未发货订单")
