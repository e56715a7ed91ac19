"""The one place that reacts to an order's status transition (DESIGN.md rule 4)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from inventory.models import StockMovement
from inventory.services import adjust_stock
from orders.models import Order

SHIPPED = Order.Status.SHIPPED


@receiver(post_save, sender=Order, dispatch_uid="orders.move_stock_on_status_change")
def move_stock_on_status_change(sender, instance, created, raw=False, **kwargs):
    """Take stock when an order becomes shipped; put it back when it stops being shipped.

    Runs inside Order.save()'s transaction, so an InsufficientStock here rolls the save back.
    """
    if raw:  # loaddata: the fixture carries its own ledger
        return
    previous = getattr(instance, "_previous_status", None)
    if previous == instance.status:
        return
    actor = getattr(instance, "changed_by", None)
    if instance.status == SHIPPED:
        adjust_stock(instance.item, -instance.quantity, StockMovement.Reason.SHIP, order=instance, user=actor)
    elif previous == SHIPPED:
        adjust_stock(instance.item, instance.quantity, StockMovement.Reason.RESTOCK, order=instance, user=actor)
