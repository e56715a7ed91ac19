"""Order workflows. Every path that ships, undoes or cancels an order calls these."""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from inventory.models import StockMovement
from inventory.services import InsufficientStock, StockChange, adjust_stocks
from orders.models import Order

__all__ = [
    "InsufficientStock",
    "StockTally",
    "cancel_order",
    "create_orders",
    "save_order",
    "ship_order",
    "ship_orders",
    "stock_change_for_transition",
    "stock_shortfalls",
    "undo_shipment",
]

PENDING, SHIPPED = Order.Status.PENDING, Order.Status.SHIPPED


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


def create_orders(orders, *, user=None):
    """Add new, validated, pending orders (an imported file) in bulk, with their history rows.

    A new pending order moves no stock, so there is no transition for the post_save handler to
    react to; one INSERT per 1,000 orders instead of a save (and its savepoint) per order.
    Raises IntegrityError if an order number was taken meanwhile; then nothing is written.
    """
    if any(order.pk is not None or order.status != PENDING for order in orders):
        raise ValueError("create_orders adds new pending orders only")
    with transaction.atomic():
        Order.objects.bulk_create(orders, batch_size=1000)
        if any(order.pk is None for order in orders):  # MySQL returns no ids from a bulk insert
            ids = dict(Order.objects.filter(order_no__in=[o.order_no for o in orders]).values_list("order_no", "pk"))
            for order in orders:
                order.pk = ids[order.order_no]
        Order.history.bulk_history_create(orders, batch_size=500, default_user=user)
    for order in orders:
        order.mark_saved()
    return orders


def stock_change_for_transition(order, previous_status):
    """The stock movement that `order`'s move from `previous_status` to its status calls for, or None.

    Shipping takes the quantity; leaving shipped (undo, cancel) puts it back. The post_save handler
    applies it to one saved order, ship_orders to a batch: one rule, whichever way the order moved.
    """
    if previous_status == order.status:
        return None
    if order.status == SHIPPED:
        return StockChange(order.item, -order.quantity, StockMovement.Reason.SHIP, order=order)
    if previous_status == SHIPPED:
        return StockChange(order.item, order.quantity, StockMovement.Reason.RESTOCK, order=order)
    return None


def ship_order(order, carrier, tracking_number, *, user=None):
    """Ship a pending order with `carrier` and `tracking_number` (ship_orders for one order)."""
    ship_orders([(order, carrier, tracking_number)], user=user)
    return order


def ship_orders(shipments, *, user=None):
    """Ship pending orders, each (order, carrier, tracking_number) of `shipments`: all of them or none.

    Each order passes the checks of an edit on the order list (Order.clean: carrier, the number's
    pattern, a number already used for another receiver — including earlier orders of this batch)
    against its row as read under lock. The writes then take a fixed number of queries: one
    locking read, one look-up of the numbers, one stock update per item and bulk writes of the
    orders, their ledger rows and their history rows — an imported file of 10,000 rows is not
    10,000 round trips of each.

    Only the shipping fields are written (status, carrier, number, who and when); other edits on
    the instances are not saved. Raises ValidationError (for one order, its own field errors; for
    a batch, messages that name the order) or InsufficientStock; either way nothing is written.
    """
    orders = [order for order, _carrier, _number in shipments]
    with transaction.atomic():
        stored = _lock_orders(orders)
        numbers_in_use = Order.live_orders_by_tracking_number(
            (number or "").strip().upper() for _order, _carrier, number in shipments
        )
        for order, carrier, number in shipments:
            try:
                _check_still_pending(order, stored)
                order.carrier, order.tracking_number, order.status = carrier, number, SHIPPED
                order.changed_by = user
                order.numbers_in_use = numbers_in_use
                order.full_clean(exclude=_relations_in_hand(order), validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                if len(orders) > 1:
                    raise _naming_the_order(exc, order) from exc
                raise
            finally:
                order.numbers_in_use = None
            # A later order of the batch with the same number is checked against this one.
            numbers_in_use.setdefault(order.tracking_number, []).append(order)

        adjust_stocks([stock_change_for_transition(order, PENDING) for order in orders], user=user)
        now = timezone.now()
        for order in orders:
            order.stamp_transition(PENDING, now)
            order.updated_at = now
        # The one status write outside Order.save() (DESIGN.md rule 4): a save and its post_save per
        # order is what made a 10,000-row file take a minute. The transition's stock moved above,
        # by the same rule as the signal, under the same row locks and in the same transaction.
        # One UPDATE per carrier for what its orders share; bulk_update's CASE only for the numbers.
        by_carrier = defaultdict(list)
        for order in orders:
            by_carrier[order.carrier_id].append(order.pk)
        for carrier_id, pks in by_carrier.items():
            Order.objects.filter(pk__in=pks).update(
                status=SHIPPED, carrier_id=carrier_id, shipped_at=now, shipped_by=user, updated_at=now
            )
        Order.objects.bulk_update(orders, ["tracking_number"], batch_size=1000)
        Order.history.bulk_history_create(orders, batch_size=500, update=True, default_user=user)
    for order in orders:
        order.mark_saved()
    return orders


def _lock_orders(orders):
    """{pk: stored status, item and quantity} of `orders`, read under row locks until commit."""
    pks = [order.pk for order in orders]
    if len(set(pks)) != len(pks):
        raise ValueError("an order may be shipped only once per batch")
    rows = Order.objects.select_for_update().filter(pk__in=pks).values("pk", "status", "item_id", "quantity")
    return {row["pk"]: row for row in rows}


def _check_still_pending(order, stored):
    """Refuse an order that is no longer pending, or whose item or quantity changed since it was read."""
    row = stored.get(order.pk)
    if row is None:
        raise ValidationError(f"订单 {order.order_no} 已不存在。")
    if row["status"] != PENDING:
        status = Order.Status(row["status"]).label
        raise ValidationError({"status": f"订单 {order.order_no} 当前为“{status}”，不能发货。"})
    if (row["item_id"], row["quantity"]) != (order.item_id, order.quantity):
        raise ValidationError(f"订单 {order.order_no} 的商品或数量刚被修改，请刷新后重试。")
    order._loaded_status = PENDING  # what Order.clean compares the shipment with


def _naming_the_order(exc, order):
    prefix = f"订单 {order.order_no}"
    return ValidationError([m if m.startswith(prefix) else f"{prefix}：{m}" for m in exc.messages])


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
