"""What the courier API adds to the admin index's dashboard (settings.OMS_DASHBOARD_CARDS)."""

from django.urls import reverse

from logistics.conf import is_enabled
from logistics.selectors import exception_parcels_count
from orders.admin.filters import ShipStatusFilter


def exception_card(user):
    """异常件: tracked parcels that are 疑难, 退回 or silent for 3 days; none when Kuaidi100 is off."""
    if not is_enabled():
        return None
    exceptions = exception_parcels_count()
    url = reverse("admin:orders_order_changelist") + f"?{ShipStatusFilter.parameter_name}=all&tracking_state=exceptions"
    return ("异常件", exceptions, url, exceptions > 0)
