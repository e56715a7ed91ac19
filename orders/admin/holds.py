"""挂起 / 解除挂起 (审单): the order page's buttons and the list's actions.

Every write is a service call (hold_order, release_hold, release_holds); these views ask for a
reason or a confirmation and say in Chinese what happened.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from orders import services
from orders.models import OrderHold

HOLD_TEMPLATE = "admin/orders/order/hold.html"
CONFIRM_TEMPLATE = "admin/orders/order/confirm_action.html"
HOLD_PERMISSION = "orders.hold_order"  # both 挂起 and 解除挂起


class HoldForm(forms.Form):
    reason = forms.ChoiceField(
        label="挂起原因",
        choices=[(reason.value, reason.label) for reason in OrderHold.MANUAL_REASONS],
        widget=forms.RadioSelect,
        initial=OrderHold.Reason.MANUAL,
    )
    note = forms.CharField(label="说明", max_length=200, required=False, help_text="例如：买家要求改地址，等待回复。")


def _order_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def _context(request, model_admin, title, **extra):
    request.current_app = model_admin.admin_site.name
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "title": title, **extra}


def _order(request, model_admin, object_id, permission):
    order = model_admin.get_object(request, object_id)
    if order is None:
        raise Http404("订单不存在。")
    if not request.user.has_perm(permission):
        raise PermissionDenied
    return order


def _say_refused(request, model_admin, exc, prefix):
    for message in services.error_messages(exc):
        model_admin.message_user(request, f"{prefix}{message}", messages.ERROR)


def hold_view(request, model_admin, object_id):
    """挂起 on the order page: a reason and a note, then services.hold_order."""
    order = _order(request, model_admin, object_id, HOLD_PERMISSION)
    form = HoldForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            hold = services.hold_order(
                order, form.cleaned_data["reason"], note=form.cleaned_data["note"], user=request.user
            )
        except ValidationError as exc:
            _say_refused(request, model_admin, exc, "未挂起：")
        else:
            model_admin.message_user(
                request, f"已挂起订单 {order.order_no}（{hold.label}），解除前任何方式都不能发货。", messages.SUCCESS
            )
        return HttpResponseRedirect(_order_url(order))
    context = _context(
        request,
        model_admin,
        f"挂起订单 {order.order_no}",
        form=form,
        orders=[order],
        cancel_url=_order_url(order),
        action="",
    )
    return TemplateResponse(request, HOLD_TEMPLATE, context)


def release_view(request, model_admin, object_id, hold_id):
    """解除 one hold from the order page, after a confirmation."""
    order = _order(request, model_admin, object_id, HOLD_PERMISSION)
    hold = get_object_or_404(OrderHold, pk=hold_id, order=order)
    if request.method == "POST":
        try:
            services.release_hold(hold, user=request.user)
        except ValidationError as exc:
            _say_refused(request, model_admin, exc, "未解除：")
        else:
            still = services.active_holds([order.pk]).get(order.pk)
            after = "仍有其他挂起，暂不能发货。" if still else "现在可以发货了。"
            model_admin.message_user(
                request, f"已解除订单 {order.order_no} 的挂起（{hold.label}），{after}", messages.SUCCESS
            )
        return HttpResponseRedirect(_order_url(order))
    context = _context(
        request,
        model_admin,
        "解除挂起",
        intro=f"确定要解除订单 {order.order_no} 的这条挂起吗？",
        groups=[(f"挂起原因：{services.hold_text(hold)}", [f"挂起人：{hold.created_by or '规则自动'}"])],
        notes=[],
        submit_label="确定解除",
        cancel_url=_order_url(order),
        form_url=request.get_full_path(),
    )
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)


def hold_orders_action(model_admin, request, queryset):
    """挂起 for the chosen orders: one reason and note for all, each through services.hold_order."""
    orders = list(queryset.order_by("created_at", "pk"))
    form = HoldForm(request.POST if request.POST.get("post") == "yes" else None)
    if form.is_bound and form.is_valid():
        done = []
        for order in orders:
            try:
                services.hold_order(
                    order, form.cleaned_data["reason"], note=form.cleaned_data["note"], user=request.user
                )
            except ValidationError as exc:
                _say_refused(request, model_admin, exc, "未挂起：")
            else:
                done.append(order.order_no)
        if done:
            reason = OrderHold.Reason(form.cleaned_data["reason"]).label
            model_admin.message_user(request, f"已挂起订单 {'、'.join(done)}（{reason}）。", messages.SUCCESS)
        return None
    context = _context(
        request,
        model_admin,
        "挂起订单",
        form=form,
        orders=orders,
        cancel_url=request.get_full_path(),
        action="hold_orders",
    )
    return TemplateResponse(request, HOLD_TEMPLATE, context)


def release_holds_action(model_admin, request, queryset):
    """解除挂起 for the chosen orders (all their holds), after a confirmation naming each hold."""
    orders = list(queryset.order_by("created_at", "pk"))
    if request.POST.get("post") == "yes":
        done = []
        for order in orders:
            try:
                services.release_holds(order, user=request.user)
            except ValidationError as exc:
                _say_refused(request, model_admin, exc, "未解除：")
            else:
                done.append(order.order_no)
        if done:
            model_admin.message_user(
                request, f"已解除订单 {'、'.join(done)} 的挂起，现在可以发货了。", messages.SUCCESS
            )
        return None
    holds = services.active_holds([order.pk for order in orders])
    groups = [
        (f"订单 {order.order_no}", [services.hold_text(h) for h in holds.get(order.pk, [])] or ["没有挂起，不会改动。"])
        for order in orders
    ]
    context = _context(
        request,
        model_admin,
        "解除挂起",
        intro=f"确定要解除所选 {len(orders)} 个订单的全部挂起吗？解除后这些订单可以发货。",
        groups=groups,
        notes=[],
        submit_label="确定解除挂起",
        cancel_url=request.get_full_path(),
        form_url="",
        action="release_holds",
        selected=[order.pk for order in orders],
    )
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)
