"""What a clerk reads after a batch shipped (批量回填, 导入快递单号): which orders, carriers, where to see them."""

from collections import Counter

from django.urls import reverse
from django.utils.html import format_html, format_html_join

from orders.admin.filters import ShipStatusFilter

NAMED_ORDERS = 10  # orders linked by name in the message; the list link shows them all
LIST_LINK_MAX = 300  # more ids than this would make the list's address too long


def shipped_orders_url(orders):
    """The order list showing exactly `orders` (any status), or the 已发货 list for a large batch."""
    url = reverse("admin:orders_order_changelist")
    if len(orders) > LIST_LINK_MAX:
        return f"{url}?{ShipStatusFilter.parameter_name}=shipped"
    ids = ",".join(str(order.pk) for order in orders)
    return f"{url}?{ShipStatusFilter.parameter_name}=all&id__in={ids}"


def shipped_summary(what, orders, parcels):
    """One HTML sentence: `what` (e.g. 批量回填完成), the orders shipped (the first few linked),
    the parcels per carrier, and a link to the list filtered to them."""
    orders = list({order.pk: order for order in orders}.values())
    parcels = list({parcel.pk: parcel for parcel in parcels}.values())
    per_carrier = Counter(parcel.carrier.name for parcel in parcels)
    carriers = "、".join(f"{name} {count} 个" for name, count in per_carrier.most_common())
    named = format_html_join(
        "、",
        '<a href="{}">{}</a>',
        ((reverse("admin:orders_order_change", args=[order.pk]), order.order_no) for order in orders[:NAMED_ORDERS]),
    )
    more = f" 等 {len(orders)} 单" if len(orders) > NAMED_ORDERS else ""
    return format_html(
        '{}：已发货 {} 单，{} 个包裹（{}）：订单 {}{}。<a href="{}">在订单列表中查看这 {} 单</a>',
        what,
        len(orders),
        len(parcels),
        carriers,
        named,
        more,
        shipped_orders_url(orders),
        len(orders),
    )
