"""The one place that reacts to a saved order's status transition (DESIGN.md rule 4).

services.ship_orders, which writes a batch without a save per order, applies the same rule
(services.stock_change_for_transition) through the same stock function.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from inventory.services import adjust_stocks
from orders.models import Order
from orders.services import stock_change_for_transition


@receiver(post_save, sender=Order, dispatch_uid="orders.move_stock_on_status_change")
def move_stock_on_status_change(sender, instance, created, raw=False, **kwargs):
    """Take stock when an order becomes shipped; put it back when it stops being shipped.

    Runs inside Order.save()'s transaction, so an InsufficientStock here rolls the save back.
    """
    if raw:  # loaddata: the fixture carries its own ledger
        return
    change = stock_change_for_transition(instance, getattr(instance, "_previous_status", None))
    if change is not None:
        adjust_stocks([change], user=getattr(instance, "changed_by", None))
