"""拣货单: what to take off the shelves for a set of orders — their lines not yet shipped (in a
parcel waiting to ship, 已取号/已打印, or in none yet)."""

from collections import defaultdict
from dataclasses import dataclass

from inventory.models import InventoryItem
from orders import selectors
from orders.models import Order

OPEN = (Order.Status.PENDING, Order.Status.PARTIAL)


@dataclass
class PickRow:
    item: InventoryItem
    quantity: int
    order_count: int

    @property
    def short(self):
        """How many the shelf lacks (0 when the stock covers the row)."""
        return max(self.quantity - self.item.stock, 0)


@dataclass
class PickedOrder:
    order: Order
    lines: list  # [(OrderLine, units left to ship)], by SKU


def open_orders():
    return Order.objects.filter(status__in=OPEN)


def picked_orders(orders):
    """The open orders among `orders` (a queryset) not held (挂起), oldest first, each with its unshipped lines.

    Three queries whatever the number of orders: the orders, their lines with items, the shipped sums.
    A held order cannot ship from anywhere, so nobody should pick it.
    """
    orders = list(orders.filter(status__in=OPEN).exclude(selectors.held()).order_by("created_at", "id"))
    remaining = selectors.unshipped_lines(orders)
    picked = []
    for order in orders:
        lines = sorted(remaining[order.pk], key=lambda pair: (pair[0].item.sku, pair[0].pk))
        if lines:
            picked.append(PickedOrder(order, lines))
    return picked


def shelf_order(item):
    """Where the picker walks: by 货位 (items without one last), then by SKU."""
    return (not item.location, item.location, item.sku)


def pick_rows(picked):
    """Units per item across `picked` (see picked_orders), in walking order (shelf_order).

    A three-line order adds to three rows; a line partly shipped adds only what is left.
    """
    units, orders, items = defaultdict(int), defaultdict(set), {}
    for entry in picked:
        for line, left in entry.lines:
            items[line.item_id] = line.item
            units[line.item_id] += left
            orders[line.item_id].add(entry.order.pk)
    return [PickRow(item, units[item.pk], len(orders[item.pk])) for item in sorted(items.values(), key=shelf_order)]
