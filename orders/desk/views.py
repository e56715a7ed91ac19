"""The desk's admin pages: 扫码发货, 批量回填, 拣货单. Thin: the meaning lives in scan, paste, pick_list.

OrderAdmin.get_urls wires these in; each takes the model admin for its context and permission checks.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from orders import privacy, selectors
from orders.admin.shipped import shipped_summary
from orders.desk import packing_check, packing_slips, paste, pick_list, scan
from orders.models import Carrier, Order

SCAN_FLASH = "scan_flash"
SCAN_UNDO_STACK = "scan_parcels"
UNDO_STACK_SIZE = 20
SCAN_SKIPPED = "scan_skipped"  # order pks this desk's clerk skipped (跳过): "next order" passes them by
SKIPPED_KEPT = 200
SCAN_VERIFY = "scan_verify"  # 验货 on for this desk
SCAN_CHECK = "scan_check"  # the check in progress (orders.desk.packing_check.start_check)


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
        typed = scan.normalize_code(request.POST.get("code")).upper()
        if request.POST.get("undo") or typed in scan.UNDO_CODES:
            return _scan_undo(request, model_admin)
        current_id = request.POST.get("current", "")
        current = Order.objects.filter(pk=current_id).first() if current_id.isdigit() else None
        if request.POST.get("receive"):
            return _scan_receive(request, model_admin, current)
        if request.POST.get("skip") or typed in scan.SKIP_CODES:
            return _scan_skip(request, model_admin, current)
        if request.POST.get("unskip"):
            request.session[SCAN_SKIPPED] = []
            result = scan.ScanResult(scan.Outcome.SWITCHED, "已恢复跳过的订单，按下单时间从最早的开始。")
            return _scan_done(request, model_admin, result, None)
        if "verify" in request.POST:
            return _scan_verify_switch(request, model_admin, current, request.POST["verify"] == "1")
        weight, problem = packing_check.parse_weight(scan.normalize_code(request.POST.get("weight")))
        if problem:
            result = scan.ScanResult(scan.Outcome.ERROR, problem, order=current)
            return _render_scan(request, model_admin, current, result)
        code, carrier = request.POST.get("code", ""), None
        choice, held = scan.normalize_code(code), request.POST.get("number", "")
        if held and choice.isdigit() and len(choice) <= 2:
            # The clerk answered "which carrier?" with a number key for the held tracking number.
            candidates = scan.carrier_candidates(held, list(Carrier.objects.filter(is_active=True)))
            if 1 <= int(choice) <= len(candidates):
                carrier, code = candidates[int(choice) - 1], held
        in_stock_only = request.POST.get("in_stock_only") == "1"
        result = scan.handle_scan(
            code,
            current=current,
            user=request.user,
            carrier=carrier,
            in_stock_only=in_stock_only,
            verify=request.session.get(SCAN_VERIFY, False),
            check=request.session.get(SCAN_CHECK),
            weight=weight,
        )
        request.session[SCAN_CHECK] = None if result.kind == scan.Outcome.SHIPPED else result.check
        if result.kind == scan.Outcome.SHIPPED:
            stack = [scan.undo_entry(result), *request.session.get(SCAN_UNDO_STACK, [])][:UNDO_STACK_SIZE]
            request.session[SCAN_UNDO_STACK] = stack
            return _scan_done(request, model_admin, result, None)
        if result.kind == scan.Outcome.SWITCHED:
            return _scan_done(request, model_admin, result, result.order)
        return _render_scan(request, model_admin, result.order, result, in_stock_only=in_stock_only)
    flash = request.session.pop(SCAN_FLASH, None)
    request.session[SCAN_CHECK] = None  # a check lasts while the page scans; a reload starts over
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
    current = current or _next_order(request)
    return _render_scan(request, model_admin, current, result)


def _scan_verify_switch(request, model_admin, current, on):
    """验货 on or off for this desk; a check in progress is dropped (nothing shipped)."""
    request.session[SCAN_VERIFY], request.session[SCAN_CHECK] = on, None
    text = "已开启验货：扫描面单或订单号后，逐件扫描商品条码。" if on else "已关闭验货：扫描快递单号即发货。"
    return _scan_done(request, model_admin, scan.ScanResult(scan.Outcome.SWITCHED, text), current)


def _pending_weight(request, result):
    """What the weight field shows: a weight just scanned, else what it held, until a parcel takes it."""
    if result is not None and result.weight:
        return result.weight
    if result is not None and result.kind in (scan.Outcome.SHIPPED, scan.Outcome.UNDONE):
        return ""
    return request.POST.get("weight", "")


def _next_order(request):
    return scan.next_open_order(skipped=request.session.get(SCAN_SKIPPED, []))


def _scan_skip(request, model_admin, current):
    """跳过: the current order leaves this desk's queue (until 恢复跳过的订单); the next one shows."""
    if current is None:
        result = scan.ScanResult(scan.Outcome.ERROR, "当前没有可以跳过的订单。")
        return _render_scan(request, model_admin, None, result)
    skipped = [pk for pk in request.session.get(SCAN_SKIPPED, []) if pk != current.pk]
    request.session[SCAN_SKIPPED] = [*skipped, current.pk][-SKIPPED_KEPT:]
    result = scan.ScanResult(scan.Outcome.SKIPPED, f"已跳过订单 {current.order_no}，稍后可在“恢复跳过的订单”找回。")
    return _scan_done(request, model_admin, result, None)


def _scan_receive(request, model_admin, current):
    """退货入库: the counts of the return the desk showed; the current order stays on the desk."""
    case_id = request.POST.get("case", "")
    result = scan.receive_scanned_return(
        int(case_id) if case_id.isdigit() else None, request.POST, current=current, user=request.user
    )
    if result.kind == scan.Outcome.RECEIVED:
        return _scan_done(request, model_admin, result, current)
    return _render_scan(request, model_admin, current, result, counts=request.POST)


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
        current = show if show is not None else _next_order(request)
        response = _render_scan(request, model_admin, current, result)
        response["X-Scan-Url"] = url
        return response
    request.session[SCAN_FLASH] = {"kind": str(result.kind), "message": result.message}
    return HttpResponseRedirect(url)


def _render_scan(request, model_admin, current, result, *, in_stock_only=False, counts=None):
    stack = request.session.get(SCAN_UNDO_STACK, [])
    return_case = result.case if result is not None and result.kind != scan.Outcome.RECEIVED else None
    return_lines = [
        (
            case_line,
            counts.get(f"good_{case_line.pk}", case_line.quantity) if counts else case_line.quantity,
            counts.get(f"damaged_{case_line.pk}", 0) if counts else 0,
        )
        for case_line in scan.return_lines(return_case)
    ]
    verify = request.session.get(SCAN_VERIFY, False)
    check = request.session.get(SCAN_CHECK) if result is not None else None
    check = scan.check_for(check, current, verify)
    request.session[SCAN_CHECK] = check
    check_lines = packing_check.check_lines(check)
    lines = scan.desk_lines(current)
    shortages = [row.shortage for row in lines if row.shortage]
    in_stock = [(row.line, row.left) for row in lines if row.left and not row.shortage] if shortages else []
    context = {
        **admin_context(request, model_admin, "扫码发货"),
        "current": current,
        "lines": lines,
        "shortages": shortages,
        "shortage_rule": selectors.SHORTAGE_RULE,
        "in_stock_text": scan.in_stock_text(in_stock),
        "in_stock_only": in_stock_only and bool(in_stock),
        "result": result,
        "state": result.kind if result else "ready",
        "return_case": return_case,
        "return_lines": return_lines,
        "open_count": scan.open_order_count(),
        "waiting_count": scan.waiting_for_stock_count(),
        "skipped_count": len(request.session.get(SCAN_SKIPPED, [])),
        "same_receiver": scan.open_orders_for_same_receiver(current),
        "last_parcel": scan.last_parcel(stack[0] if stack else None),
        "masked_phone": privacy.mask_phone(current.receiver_phone) if current else "",
        "short_address": privacy.short_address(current.address) if current else "",
        "verify": verify,
        "check": check,
        "check_lines": check_lines,
        "check_parcel": scan.checked_parcel(check),
        "check_left": sum(line.left for line in check_lines),
        "weight": _pending_weight(request, result),
    }
    status = 200 if result is None or result.ok or result.kind == scan.Outcome.CHOOSE else 422
    return TemplateResponse(request, "admin/orders/order/scan.html", context, status=status)


# ---------------------------------------------------------------- 批量回填


PASTE_LEFT = "paste_left"


def paste_view(request, model_admin):
    """A text box → preview (every line's outcome) → confirm all (the default: all or nothing), or
    只发货没有问题的 N 行, which ships the good lines and leaves the others in the box with their reasons."""
    _require_change(request, model_admin)
    text = request.POST.get("text", "") if request.method == "POST" else ""
    lines, confirmed, changed, left = [], False, False, None
    if request.method == "POST" and text.strip():
        only_good = bool(request.POST.get("confirm_good"))
        if request.POST.get("confirm") or only_good:
            expected = _line_numbers(request.POST.get("good_lines", "")) if only_good else None
            lines, parcels = paste.apply_paste(text, user=request.user, only_good=only_good, expected=expected)
            if parcels:
                shipped = [line for line in lines if line.ships]
                summary = shipped_summary("批量回填完成", [line.order for line in shipped], parcels)
                model_admin.message_user(request, summary, messages.SUCCESS)
                if only_good:
                    request.session[PASTE_LEFT] = {
                        "text": paste.left_text(lines),
                        "lines": [[line.line_no, line.text, line.problems] for line in lines if not line.ok],
                    }
                return HttpResponseRedirect(reverse("admin:orders_order_paste"))
            confirmed = True
            # The good lines are not those the preview offered: the re-check found something new.
            changed = only_good and {line.line_no for line in lines if line.ships} != expected
        else:
            lines = paste.preview_paste(text)
    elif request.method == "GET":
        left = request.session.pop(PASTE_LEFT, None)
        text = left["text"] if left else ""
    problems = [line for line in lines if not line.ok]
    good = [line for line in lines if line.ships]
    context = {
        **admin_context(request, model_admin, "批量回填快递单号"),
        "text": text,
        "lines": lines,
        "problems": problems,
        "ship_count": len(good),
        "parcel_count": len({line.parcel_key for line in good}),
        "good_lines": ",".join(str(line.line_no) for line in good),
        "confirmed": confirmed,
        "changed_since_preview": changed,
        "left": left,
        "posted": request.method == "POST",
        "max_lines": paste.MAX_LINES,
    }
    return TemplateResponse(request, "admin/orders/order/paste.html", context)


def _line_numbers(text):
    return {int(part) for part in text.split(",") if part.strip().isdigit()}


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


PICK_ORDERS_MAX = 500  # ids in the page's address


def pick_list_url(order_pks):
    return f"{reverse('admin:orders_order_pick_list')}?{urlencode({'ids': ','.join(map(str, order_pks))})}"


def pick_list_view(request, model_admin):
    """All open orders' pick list, or ?ids=… those orders' (a wave of labels; the list's action
    gives one for selected orders too)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    ids = _line_numbers(request.GET.get("ids", ""))
    if ids:
        orders = pick_list.open_orders().filter(pk__in=sorted(ids)[:PICK_ORDERS_MAX])
        return pick_list_response(request, model_admin, orders, f"本批 {len(ids)} 个订单")
    return pick_list_response(request, model_admin, pick_list.open_orders(), "全部未发货订单")


# ---------------------------------------------------------------- 发货单

SLIP_ORDERS_MAX = 500  # ids in the page's address; the action says so for a larger selection


def packing_slips_url(order_pks, size=packing_slips.DEFAULT_SIZE):
    ids = ",".join(str(pk) for pk in order_pks)
    return f"{reverse('admin:orders_order_packing_slips')}?{urlencode({'ids': ids, 'size': size})}"


def packing_slips_view(request, model_admin):
    """GET ?ids=1,2,3&size=a4|label: the printable slips of those orders (see orders.desk.packing_slips)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    pks = [int(part) for part in request.GET.get("ids", "").split(",") if part.strip().isdigit()][:SLIP_ORDERS_MAX]
    size = request.GET.get("size", packing_slips.DEFAULT_SIZE)
    if size not in packing_slips.SIZES:
        size = packing_slips.DEFAULT_SIZE
    _label, page_size = packing_slips.SIZES[size]
    slips = packing_slips.packing_slips(packing_slips.open_or_shipped(pks))
    context = {
        **admin_context(request, model_admin, "发货单"),
        "slips": slips,
        "size": size,
        "page_size": page_size,
        "with_pictures": size != "label",  # a 76 mm thermal label has no room (nor greys) for pictures
        "sizes": [(name, text, packing_slips_url(pks, name)) for name, (text, _css) in packing_slips.SIZES.items()],
        "changelist_url": reverse("admin:orders_order_changelist"),
    }
    return TemplateResponse(request, "admin/orders/order/packing_slips.html", context)
