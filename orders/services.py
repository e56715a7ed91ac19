"""Order workflows. Every path that ships, undoes or cancels an order calls these."""

from collections import defaultdict

from django.core.exceptions import ValidationError

from inventory.services import InsufficientStock
from orders.models import Order

__all__ = [
    "InsufficientStock",
    "StockTally",
    "cancel_order",
    "save_order",
    "ship_order",
    "stock_shortfalls",
    "undo_shipment",
]


def save_order(order, *, user=None):
    """Validate and save an edited order; the post_save signal moves the stock.

    Raises ValidationError (field errors in Chinese) or InsufficientStock; in both cases
    nothing is written.
    """
    order.full_clean(exclude=_relations_in_hand(order), validate_unique=False, validate_constraints=False)
    order.changed_by = user
    # Order.save() is atomic itself, post_save handler included; another block here would only
    # add a savepoint per order (two queries per row in an import).
    order.save()
    return order


def _relations_in_hand(order):
    """Foreign keys whose related row is already loaded on `order`.

    full_clean would SELECT each one again to prove it exists; a loaded row does, and the database's
    foreign key constraint still guards the write. Saves two queries per order in bulk paths (imports).
    """
    in_hand = []
    for name in ("item", "carrier"):
        field = Order._meta.get_field(name)
        related = field.get_cached_value(order, default=None) if field.is_cached(order) else None
        if related is not None and related.pk is not None and related.pk == getattr(order, field.attname):
            in_hand.append(name)
    return in_hand


def ship_order(order, carrier, tracking_number, *, user=None):
    """Ship a pending order with `carrier` and `tracking_number`."""
    if order.status != Order.Status.PENDING:
        raise ValidationError({"status": f"订单 {order.order_no} 当前为“{order.get_status_display()}”，不能发货。"})
    order.carrier = carrier
    order.tracking_number = tracking_number
    order.status = Order.Status.SHIPPED
    return save_order(order, user=user)


def undo_shipment(order, *, user=None):
    """Put a shipped order back to pending; its stock returns, carrier and number stay for correction."""
    if order.status != Order.Status.SHIPPED:
        raise ValidationError({"status": f"订单 {order.order_no} 尚未发货，无需撤销。"})
    order.status = Order.Status.PENDING
    return save_order(order, user=user)


def cancel_order(order, *, user=None):
    """Cancel an order; if it had shipped, its stock returns."""
    if order.status == Order.Status.CANCELLED:
        raise ValidationError({"status": f"订单 {order.order_no} 已经取消。"})
    order.status = Order.Status.CANCELLED
    return save_order(order, user=user)


class StockTally:
    """Counts what the earlier orders of one batch (a page save, an imported file) take from stock.

    A friendly early check for forms and import previews, so a clerk sees which order runs out
    before anything is written; adjust_stock stays the real guard. `earlier` names the batch's
    earlier orders in the message.
    """

    def __init__(self, earlier="本次保存中前面的订单"):
        self.earlier = earlier
        self.taken = defaultdict(int)
        self.stock = {}

    def shortfall(self, order):
        """Count `order` against its item's stock; return a Chinese message if the stock cannot cover it."""
        # The stock as first seen: later orders of the batch are measured against the same start.
        stock = self.stock.setdefault(order.item_id, order.item.stock)
        earlier = self.taken[order.item_id]
        self.taken[order.item_id] += order.quantity
        if self.taken[order.item_id] <= stock:
            return None
        detail = f"（{self.earlier}已占用 {earlier} 件）" if earlier else ""
        return (
            f"订单 {order.order_no}：SKU {order.item.sku}（{order.item.name}）库存不足，"
            f"需要 {order.quantity} 件，现有 {stock} 件{detail}。请先补货或调整数量。"
        )


def stock_shortfalls(orders):
    """Yield (order, message) for each order that the stock cannot cover, counting the earlier ones."""
    tally = StockTally()
    for order in orders:
        message = tally.shortfall(order)
        if message:
            yield order, message
