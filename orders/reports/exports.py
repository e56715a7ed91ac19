"""The order export (导出): a row per order line, with what of it has shipped and in which parcels."""

from collections import defaultdict
from itertools import islice

from orders import privacy
from orders.models import Order, OrderLine, Parcel, ParcelLine
from orders.reports.days import local_datetime
from orders.reports.lookups import NameBook

EXPORT_HEADERS = [
    "订单号",
    "用户ID",
    "产品名",
    "SKU",
    "数量",
    "已发数量",
    "收货人",
    "电话",
    "地址",
    "发货状态",
    "快递公司",
    "快递单号",
    "下单时间",
    "子订单号",
    "店铺",
]
ORDER_VALUES = [
    "pk",
    "order_no",
    "shop_id",
    "customer_id",
    "receiver_name",
    "receiver_phone",
    "address",
    "status",
    "created_at",
]
# Orders read per round of look-ups; memory and queries per round stay flat.
EXPORT_CHUNK_ORDERS = 2000
STATUS_LABELS = dict(Order.Status.choices)


def order_export_rows(orders, *, full_receiver=False, chunk_size=EXPORT_CHUNK_ORDERS):
    """The export's rows (lists of plain cells, not yet escaped), in EXPORT_HEADERS order, for `orders`.

    下单时间 is a naive Shanghai datetime, so the XLSX has a date cell and the CSV Excel's date text.

    A row per order line, in the queryset's order: 已发数量 is what of the line is in live
    parcels, 快递公司 and 快递单号 those parcels' (joined by "、", in shipping order, pairwise);
    店铺 is the order's shop by name.
    Phone and address are masked (PIPL, orders.privacy) unless `full_receiver`. Per chunk of
    orders: the lines, their live parcel lines, and at most three name look-ups, all on the
    database `orders` names (`orders.db`).
    """
    names = NameBook(using=orders.db)
    values = orders.values(*ORDER_VALUES).iterator(chunk_size=chunk_size)
    while chunk := list(islice(values, chunk_size)):
        yield from _chunk_rows(chunk, names, full_receiver=full_receiver, using=orders.db)


def _chunk_rows(orders, names, *, full_receiver, using):
    lines = defaultdict(list)
    for line in (
        OrderLine.objects.using(using)
        .filter(order_id__in=[o["pk"] for o in orders])
        .values("pk", "order_id", "item_id", "quantity", "sub_order_no")
    ):
        lines[line["order_id"]].append(line)
    in_parcels = defaultdict(list)
    for parcel_line in (
        ParcelLine.objects.using(using)
        .filter(line_id__in=[line["pk"] for group in lines.values() for line in group], parcel__status__in=Parcel.LIVE)
        .order_by("parcel__shipped_at", "parcel_id", "pk")
        .values("line_id", "quantity", "parcel__carrier_id", "parcel__tracking_number")
    ):
        in_parcels[parcel_line["line_id"]].append(parcel_line)
    names.learn(
        items={line["item_id"] for group in lines.values() for line in group},
        carriers={pl["parcel__carrier_id"] for group in in_parcels.values() for pl in group},
        shops={order["shop_id"] for order in orders},
    )
    for order in orders:
        phone, address = order["receiver_phone"], order["address"]
        if not full_receiver:
            phone, address = privacy.mask_phone(phone), privacy.short_address(address)
        for line in lines[order["pk"]]:
            parcels = in_parcels[line["pk"]]
            name, sku = names.item(line["item_id"])
            yield [
                order["order_no"],
                order["customer_id"],
                name,
                sku,
                line["quantity"],
                sum(pl["quantity"] for pl in parcels),
                order["receiver_name"],
                phone,
                address,
                STATUS_LABELS.get(order["status"], order["status"]),
                "、".join(names.carrier_name(pl["parcel__carrier_id"]) for pl in parcels),
                "、".join(pl["parcel__tracking_number"] for pl in parcels),
                local_datetime(order["created_at"]),
                line["sub_order_no"],
                names.shop_name(order["shop_id"]),
            ]
