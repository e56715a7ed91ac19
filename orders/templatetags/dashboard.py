"""The dashboard on the admin index (首页): figure cards and the 14-day shipping chart."""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.roles import DASHBOARD_PERMISSION, LOW_STOCK_CARD_PERMISSION
from orders.admin.filters import HoldFilter, ShipByFilter, ShipStatusFilter
from orders.reports.charts import stacked_bar_chart
from orders.reports.dashboard import dashboard_figures
from orders.reports.replica import read_with_fallback, report_source
from orders.reports.shipping import REPORT_PERMISSION
from orders.selectors import ShipByState

register = template.Library()


@register.inclusion_tag("admin/orders/dashboard.html", takes_context=True)
def shipping_dashboard(context):
    """Cards and chart for users who may read orders; the report link only for those who may read it."""
    user = context["request"].user
    if not user.has_perm(DASHBOARD_PERMISSION):
        return {"visible": False}
    now = timezone.now()
    figures, source = read_with_fallback(report_source(), lambda alias: dashboard_figures(now, using=alias))
    report_url = reverse("admin:shipping_report") if user.has_perm(REPORT_PERMISSION) else ""
    orders_url = reverse("admin:orders_order_changelist")
    status, ship_by = ShipStatusFilter.parameter_name, ShipByFilter.parameter_name
    cards = [
        ("待发货", figures.open_orders, f"{orders_url}?{status}=unshipped", False),
        ("今日发货（包裹）", figures.parcels_today, report_url, False),
        ("已超时未发货", figures.overdue, f"{orders_url}?{ship_by}={ShipByState.OVERDUE}", figures.overdue > 0),
        ("今天到期", figures.due_today, f"{orders_url}?{ship_by}={ShipByState.DUE_TODAY}", figures.due_today > 0),
        ("异常/挂起", figures.held, f"{orders_url}?{HoldFilter.parameter_name}=held", figures.held > 0),
    ]
    if user.has_perm(LOW_STOCK_CARD_PERMISSION):
        low_stock_url = reverse("admin:inventory_inventoryitem_changelist") + "?low_stock=yes"
        cards.append(("低库存", figures.low_stock, low_stock_url, figures.low_stock > 0))
    # Cards other apps add (settings.OMS_DASHBOARD_CARDS, e.g. logistics' 异常件): orders imports none of them.
    for path in settings.OMS_DASHBOARD_CARDS:
        card = import_string(path)(user)
        if card is not None:
            cards.append(card)
    return {
        "visible": True,
        "cards": [{"label": label, "value": value, "url": url, "warn": warn} for label, value, url, warn in cards],
        "chart": stacked_bar_chart(figures.days, figures.parcels_per_day),
        "report_url": report_url,
        "source": source,
    }
