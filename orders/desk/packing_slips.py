"""发货单 (packing slips): what goes into each box, printed for the packer and put in the parcel.

A slip per live parcel of the chosen orders (a merged parcel is one slip naming every order in it),
and one per chosen order for its lines still to ship. Receivers are masked as in every list: the
slip travels inside the box, the full address is on the courier's label.
"""

from dataclasses import dataclass, field

from orders import privacy, selectors
from orders.barcodes import code128_svg
from orders.models import Order, Parcel, ParcelLine

SIZES = {
    # name: (label, CSS page size); A4 takes two slips a page (packing_slips.css)
    "a4": ("A4 纸（每页 2 张）", "210mm 297mm"),
    "label": ("热敏纸 76×130", "76mm 130mm"),
}
DEFAULT_SIZE = "a4"


@dataclass
class SlipLine:
    item: object  # InventoryItem
    quantity: int
    order_no: str


@dataclass
class PackingSlip:
    orders: list  # [Order], oldest first
    lines: list = field(default_factory=list)  # [SlipLine], by SKU
    parcel: object = None  # the live Parcel; None for an order's lines still to ship

    @property
    def order_nos(self):
        return [order.order_no for order in self.orders]

    @property
    def receiver(self):
        order = self.orders[0]
        if order.receiver_encrypted:
            return {"name": "平台加密", "phone": "", "address": ""}
        return {
            "name": order.receiver_name,
            "phone": privacy.mask_phone(order.receiver_phone),
            "address": privacy.short_address(order.address),
        }

    @property
    def notes(self):
        return [(order.order_no, order.note) for order in self.orders if order.note]

    @property
    def pieces(self):
        return sum(line.quantity for line in self.lines)

    @property
    def order_barcode(self):
        """The first order's number: scanned on the scan desk it brings that order up."""
        return code128_svg(self.orders[0].order_no)

    @property
    def tracking_barcode(self):
        return code128_svg(self.parcel.tracking_number) if self.parcel else ""


def packing_slips(orders):
    """The slips for `orders` (a queryset): live parcels first, by ship time, then what is left to ship.

    Queries do not grow with the number of orders: the orders, their remaining lines (two), the
    parcel lines of their live parcels with parcels, carriers, lines, items and orders (one).
    """
    orders = list(orders.select_related("shop").order_by("created_at", "id"))
    parcel_lines = (
        ParcelLine.objects.filter(
            parcel__lines__line__order__in=[order.pk for order in orders],
            parcel__status__in=Parcel.LIVE,
        )
        .select_related("parcel__carrier", "line__item", "item", "line__order__shop")
        .order_by("parcel__shipped_at", "parcel_id", "line__item__sku", "id")
        .distinct()
    )
    by_parcel = {}
    for parcel_line in parcel_lines:
        slip = by_parcel.setdefault(parcel_line.parcel_id, PackingSlip(orders=[], parcel=parcel_line.parcel))
        order = parcel_line.line.order
        if order.pk not in {o.pk for o in slip.orders}:
            slip.orders.append(order)
        slip.lines.append(SlipLine(parcel_line.stock_item, parcel_line.quantity, order.order_no))  # 换货: the new item
    slips = list(by_parcel.values())
    for slip in slips:
        slip.orders.sort(key=lambda order: (order.created_at, order.pk))

    remaining = selectors.remaining_lines([order for order in orders if order.is_open])
    for order in orders:
        lines = sorted(remaining.get(order.pk, []), key=lambda pair: (pair[0].item.sku, pair[0].pk))
        if lines:
            slips.append(
                PackingSlip(orders=[order], lines=[SlipLine(line.item, left, order.order_no) for line, left in lines])
            )
    return slips


def open_or_shipped(order_pks):
    """The orders of `order_pks` that have something to put in a box (cancelled ones have not)."""
    return Order.objects.filter(pk__in=order_pks).exclude(status=Order.Status.CANCELLED)
