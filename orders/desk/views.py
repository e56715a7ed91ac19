"""The desk's admin pages: 扫码发货, 批量回填, 拣货单. Thin: the meaning lives in scan, paste, pick_list.

OrderAdmin.get_urls wires these in; each takes the model admin for its context and permission checks.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from orders import privacy
from orders.desk import paste, pick_list, scan
from orders.models import Carrier, Order

SCAN_FLASH = "scan_flash"
SCAN_UNDO_STACK = "scan_parcels"
UNDO_STACK_SIZE = 20


def admin_context(request, model_admin, title):
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
    """GET shows the current order (?order=… or the oldest open one); POST handles one scan."""
    _require_change(request, model_admin)
    if request.method == "POST":
        if request.POST.get("undo") or scan.normalize_code(request.POST.get("code")).upper() in scan.UNDO_CODES:
            return _scan_undo(request, model_admin)
        current_id = request.POST.get("current", "")
        current = Order.objects.filter(pk=current_id).first() if current_id.isdigit() else None
        code, carrier = request.POST.get("code", ""), None
        choice, held = scan.normalize_code(code), request.POST.get("number", "")
        if held and choice.isdigit() and len(choice) <= 2:
            # The clerk answered "which carrier?" with a number key for the held tracking number.
            candidates = scan.carrier_candidates(held, list(Carrier.objects.filter(is_active=True)))
            if 1 <= int(choice) <= len(candidates):
                carrier, code = candidates[int(choice) - 1], held
        result = scan.handle_scan(code, current=current, user=request.user, carrier=carrier)
        if result.kind == scan.Outcome.SHIPPED:
            stack = [scan.undo_entry(result), *request.session.get(SCAN_UNDO_STACK, [])][:UNDO_STACK_SIZE]
            request.session[SCAN_UNDO_STACK] = stack
            return _scan_done(request, model_admin, result, None)
        if result.kind == scan.Outcome.SWITCHED:
            return _scan_done(request, model_admin, result, result.order)
        return _render_scan(request, model_admin, result.order, result)
    flash = request.session.pop(SCAN_FLASH, None)
    result = scan.ScanResult(flash["kind"], flash["message"]) if flash else None
    requested = request.GET.get("order")
    try:
        shop_id = request.GET.get("shop", "")
        current = scan.find_order(requested, shop_id if shop_id.isdigit() else None) if requested else None
    except scan.AmbiguousOrderNumber as exc:
        current, result = None, scan.ScanResult(scan.Outcome.ERROR, str(exc))
    else:
        if requested and current is None:
            result = scan.ScanResult(scan.Outcome.ERROR, f"找不到订单号“{requested}”。")
    current = current or scan.next_open_order()
    return _render_scan(request, model_admin, current, result)


def _scan_undo(request, model_admin):
    stack = request.session.get(SCAN_UNDO_STACK, [])
    # The undo button names the parcel the page showed; a scanned "UNDO" means the latest one.
    wanted = request.POST.get("parcel", "")
    entry = next((e for e in stack if str(e["parcel"]) == wanted), None) if wanted else (stack[0] if stack else None)
    if entry is None:
        result = scan.ScanResult(scan.Outcome.ERROR, "本页面还没有可以撤销的发货。")
    else:
        result = scan.undo_scan(entry, user=request.user)
        # Whatever the outcome, this parcel is done with here: other entries for it would only repeat it.
        request.session[SCAN_UNDO_STACK] = [e for e in stack if e["parcel"] != entry["parcel"]]
    return _scan_done(request, model_admin, result, result.order)


def _scan_done(request, model_admin, result, show):
    """After a scan that changed something: redirect (POST → GET) to the page showing `show`
    (None = the next open order). scan.js asks for the page itself instead, saving a round trip."""
    url = reverse("admin:orders_order_scan")
    if show is not None:
        url = f"{url}?{urlencode({'shop': show.shop_id, 'order': show.order_no})}"
    if request.headers.get("X-Scan-Fetch") == "1":
        current = show if show is not None else scan.next_open_order()
        response = _render_scan(request, model_admin, current, result)
        response["X-Scan-Url"] = url
        return response
    request.session[SCAN_FLASH] = {"kind": str(result.kind), "message": result.message}
    return HttpResponseRedirect(url)


def _render_scan(request, model_admin, current, result):
    stack = request.session.get(SCAN_UNDO_STACK, [])
    context = {
        **admin_context(request, model_admin, "扫码发货"),
        "current": current,
        "lines": scan.desk_lines(current),
        "result": result,
        "state": result.kind if result else "ready",
        "open_count": scan.open_order_count(),
        "same_receiver": scan.open_orders_for_same_receiver(current),
        "last_parcel": scan.last_parcel(stack[0] if stack else None),
        "masked_phone": privacy.mask_phone(current.receiver_phone) if current else "",
        "short_address": privacy.short_address(current.address) if current else "",
    }
    status = 200 if result is None or result.ok or result.kind == scan.Outcome.CHOOSE else 422
    return TemplateResponse(request, "admin/orders/order/scan.html", context, status=status)


# ---------------------------------------------------------------- 批量回填


def paste_view(request, model_admin):
    """A text box → preview (every line's outcome) → confirm, all or nothing."""
    _require_change(request, model_admin)
    text = request.POST.get("text", "") if request.method == "POST" else ""
    lines, confirmed = [], False
    if request.method == "POST" and text.strip():
        if request.POST.get("confirm"):
            lines, parcels = paste.apply_paste(text, user=request.user)
            if parcels or (lines and all(line.ok for line in lines)):
                shipped = sum(1 for line in lines if line.ships)
                model_admin.message_user(
                    request, f"批量回填完成：已发货 {shipped} 个订单（{len({p.pk for p in parcels})} 个包裹）。"
                )
                return HttpResponseRedirect(reverse("admin:orders_order_paste"))
            confirmed = True
        else:
            lines = paste.preview_paste(text)
    problems = [line for line in lines if not line.ok]
    context = {
        **admin_context(request, model_admin, "批量回填快递单号"),
        "text": text,
        "lines": lines,
        "problems": problems,
        "ship_count": sum(1 for line in lines if line.ships),
        "parcel_count": len({line.parcel_key for line in lines if line.ships}),
        "confirmed": confirmed,
        "posted": request.method == "POST",
        "max_lines": paste.MAX_LINES,
    }
    return TemplateResponse(request, "admin/orders/order/paste.html", context)


# ---------------------------------------------------------------- 拣货单


def pick_list_response(request, model_admin, orders, scope):
    """The printable pick list for `orders` (a queryset): three queries whatever their number."""
    picked = pick_list.picked_orders(orders)
    rows = pick_list.pick_rows(picked)
    context = {
        **admin_context(request, model_admin, "拣货单"),
        "rows": rows,
        "orders": picked,
        "scope": scope,
        "total_quantity": sum(row.quantity for row in rows),
        "short_rows": [row for row in rows if row.short],
        "changelist_url": reverse("admin:orders_order_changelist"),
    }
    return TemplateResponse(request, "admin/orders/order/pick_list.html", context)


def pick_list_view(request, model_admin):
    """All open orders' pick list (the list's action gives one for selected orders)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    return pick_list_response(request, model_admin, pick_list.open_orders(), "全部未发货订单")
