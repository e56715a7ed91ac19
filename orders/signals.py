"""The shipping signals and their one receiver, the only code that moves stock for parcels (DESIGN.md rule 3).

orders.services sends them inside its transaction, after writing the parcels, so a refusal of
the stock write (InsufficientStock) rolls the whole operation back.
"""

from django.dispatch import Signal, receiver

from inventory.models import StockMovement
from inventory.services import StockChange, adjust_stocks

# Both are sent with sender=Parcel, parcels=[Parcel, ...], lines=[ParcelLine, ...] (the lines
# this operation shipped or voided, with .line.item and .line.order loaded) and user=.
parcels_shipped = Signal()
parcels_voided = Signal()
# Sent by services.cancel_order inside its transaction, with sender=Order, order=, user=.
order_cancelled = Signal()


def _changes(lines, sign, reason):
    return [
        StockChange(pl.stock_item, sign * pl.quantity, reason(pl), order=pl.line.order, parcel=pl.parcel, line=pl.line)
        for pl in lines
    ]


def _ship_reason(parcel_line):
    # A 补发 parcel's units leave as 补发出库: the ledger tells a reissue from a sale.
    if parcel_line.parcel.kind == parcel_line.parcel.Kind.REISSUE:
        return StockMovement.Reason.REISSUE
    return StockMovement.Reason.SHIP


@receiver(parcels_shipped, dispatch_uid="orders.take_stock_for_parcels")
def take_stock_for_parcels(sender, lines, user=None, **kwargs):
    """Each shipped parcel line takes its units off stock: one ledger row naming parcel, line and order."""
    if lines:
        adjust_stocks(_changes(lines, -1, _ship_reason), user=user)


@receiver(parcels_voided, dispatch_uid="orders.return_stock_for_parcels")
def return_stock_for_parcels(sender, lines, user=None, **kwargs):
    """Each voided parcel line puts its units back: one 'restock' ledger row per line."""
    if lines:
        adjust_stocks(_changes(lines, 1, lambda _pl: StockMovement.Reason.RESTOCK), user=user)
