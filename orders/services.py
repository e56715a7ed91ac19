"""Order workflows. Every path that ships, undoes or cancels an order calls these."""

from django.core.exceptions import ValidationError
from django.db import transaction

from inventory.services import InsufficientStock
from orders.models import Order

__all__ = ["InsufficientStock", "cancel_order", "save_order", "ship_order", "undo_shipment"]


def save_order(order, *, user=None):
    """Validate and save an edited order; the post_save signal moves the stock.

    Raises ValidationError (field errors in Chinese) or InsufficientStock; in both cases
    nothing is written.
    """
    order.full_clean(validate_unique=False, validate_constraints=False)
    order.changed_by = user
    with transaction.atomic():
        order.save()
    return order


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
