"""拣货单: what to take off the shelves for a set of orders."""

from dataclasses import dataclass

from django.db.models import Count, Sum

from inventory.models import InventoryItem
from orders.models import Order


@dataclass
class PickRow:
    item: InventoryItem
    quantity: int
    order_count: int

    @property
    def short(self):
        """How many the shelf lacks (0 when the stock covers the row)."""
        return max(self.quantity - self.item.stock, 0)


def unshipped_orders():
    return Order.objects.filter(status=Order.Status.PENDING)


def pick_rows(orders):
    """Quantities summed per item, sorted by SKU (the shelves are laid out by SKU).

    `orders` is a queryset; cancelled and shipped orders in it are left out, as they need no picking.
    """
    pending = orders.filter(status=Order.Status.PENDING)
    sums = (
        pending.order_by()
        .values("item_id")
        .annotate(quantity=Sum("quantity"), order_count=Count("id"))
        .values_list("item_id", "quantity", "order_count")
    )
    totals = {item_id: (quantity, count) for item_id, quantity, count in sums}
    items = InventoryItem.objects.filter(pk__in=totals).order_by("sku")
    return [PickRow(item, *totals[item.pk]) for item in items]


def picked_orders(orders):
    """The orders the pick list covers, in shelf order then oldest first."""
    return orders.filter(status=Order.Status.PENDING).select_related("item").order_by("item__sku", "created_at", "id")
