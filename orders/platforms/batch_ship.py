"""发货回传: the batch-ship file a clerk uploads to a platform at night, as data and rows.

The platforms' official upload templates were not found (/work/shared/platform-exports.md); the
layouts below are what shop tools in public use take: 订单号 + 快递公司 + 快递单号, and 子订单号
where the platform ships parts of an order (淘宝 拆单发货, 抖店). docs/PLATFORM-FILES.md shows each
layout with an example row and says what was not verified. Reads only: marking the parcels as
exported is orders.services.mark_parcels_exported.
"""

from collections import defaultdict
from dataclasses import dataclass, replace

from django.db.models import Count, Q

from orders.models import Carrier, OrderLine, Parcel, ParcelLine, Shop
from orders.reports.days import on_days
from spreadsheets.writing import iter_csv, write_xlsx

PLATFORM = Shop.Platform
CSV, XLSX = "csv", "xlsx"
FORMAT_LABELS = {CSV: "CSV", XLSX: "Excel（.xlsx）"}
# Parcels per round of look-ups: the IN lists stay bounded however long the day range.
BATCH_SHIP_CHUNK = 1000

# What a cell of a row holds; a layout names its columns by these.
ORDER_NO, SUB_ORDER_NO, CARRIER, TRACKING_NUMBER = "order_no", "sub_order_no", "carrier", "tracking_number"


@dataclass(frozen=True)
class Layout:
    """One platform's batch-ship file: its columns (header, what the cell holds), format and encoding.

    A layout with a SUB_ORDER_NO column gives a split order (one not wholly in one parcel) a row
    per 子订单 line; a whole order has one row with the 子订单号 blank (the whole order shipped).
    `encoding` is the CSV's: "utf-8-sig" (with the BOM Excel needs) or "gb18030" (no BOM).
    """

    columns: tuple
    file_format: str
    encoding: str = "utf-8-sig"
    sheet_title: str = "发货"

    @property
    def headers(self):
        return [header for header, _key in self.columns]

    @property
    def charset(self):
        """The CSV's charset as an HTTP header names it (the BOM is part of the bytes, not the name)."""
        return "utf-8" if self.encoding == "utf-8-sig" else self.encoding

    @property
    def per_sub_order(self):
        return any(key == SUB_ORDER_NO for _header, key in self.columns)


LAYOUTS = {
    # 淘宝/天猫: the export's own words (订单编号, 物流公司, 运单号); its files are GB18030.
    PLATFORM.TAOBAO: Layout(
        (("订单编号", ORDER_NO), ("子订单编号", SUB_ORDER_NO), ("物流公司", CARRIER), ("运单号", TRACKING_NUMBER)),
        CSV,
        encoding="gb18030",
    ),
    # 拼多多: an order is one goods item, so never a 子订单.
    PLATFORM.PINDUODUO: Layout((("订单号", ORDER_NO), ("快递公司", CARRIER), ("快递单号", TRACKING_NUMBER)), XLSX),
    # 抖店: its export is a row per 子订单 (主订单编号, 子订单编号).
    PLATFORM.DOUDIAN: Layout(
        (("主订单编号", ORDER_NO), ("子订单编号", SUB_ORDER_NO), ("快递公司", CARRIER), ("快递单号", TRACKING_NUMBER)),
        XLSX,
    ),
    # 京东 POP: the same three columns as its 快递信息 file.
    PLATFORM.JD: Layout((("订单号", ORDER_NO), ("快递公司", CARRIER), ("快递单号", TRACKING_NUMBER)), XLSX),
    PLATFORM.YOUZAN: Layout((("订单号", ORDER_NO), ("物流公司", CARRIER), ("物流单号", TRACKING_NUMBER)), XLSX),
    PLATFORM.WECHAT: Layout((("订单号", ORDER_NO), ("快递公司", CARRIER), ("快递单号", TRACKING_NUMBER)), XLSX),
    # 1688: its order export's own words (订单号, 物流公司, 运单号).
    PLATFORM.ALI1688: Layout((("订单号", ORDER_NO), ("物流公司", CARRIER), ("运单号", TRACKING_NUMBER)), XLSX),
    # 自营/其他: for the shop's own tools, UTF-8 as every current program reads it.
    PLATFORM.OTHER: Layout((("订单号", ORDER_NO), ("快递公司", CARRIER), ("快递单号", TRACKING_NUMBER)), CSV),
}

# A carrier by its common full name; a platform's own list may name it otherwise (below).
COMMON_CARRIER_NAMES = {
    "SF": "顺丰速运",
    "ZTO": "中通快递",
    "YTO": "圆通速递",
    "STO": "申通快递",
    "YD": "韵达快递",
    "JTSD": "极兔速递",
    "JD": "京东物流",
    "EMS": "EMS",
    "DBL": "德邦快递",
}
# Where a platform's carrier list is known (from shop tools' mappings, not an official list) to differ.
PLATFORM_CARRIER_NAMES = {
    PLATFORM.TAOBAO: {"JD": "京东配送"},
    PLATFORM.PINDUODUO: {"SF": "顺丰快递", "YTO": "圆通快递", "JD": "京东配送", "EMS": "邮政EMS"},
    PLATFORM.DOUDIAN: {"EMS": "邮政EMS"},
    PLATFORM.JD: {"JD": "京东快递"},
}


# The two column sets shop tools use, for a platform whose template differs from its layout above:
# asked for on the page, they replace the layout's columns and keep its format and encoding.
COLUMN_SETS = {
    "with_carrier": (("订单号", ORDER_NO), ("快递公司", CARRIER), ("快递单号", TRACKING_NUMBER)),
    "number_only": (("订单号", ORDER_NO), ("物流单号", TRACKING_NUMBER)),
}
COLUMN_SET_LABELS = {"with_carrier": "订单号、快递公司、快递单号", "number_only": "订单号、物流单号（不写快递公司）"}


def layout_for(platform, columns=""):
    """The platform's layout; with `columns` (a COLUMN_SETS key), that column set in its format."""
    layout = LAYOUTS.get(platform, LAYOUTS[PLATFORM.OTHER])
    return replace(layout, columns=COLUMN_SETS[columns]) if columns else layout


def platform_carrier_name(platform, carrier):
    """The name `platform`'s carrier list gives `carrier`; our own name for a carrier it is not known to list."""
    return PLATFORM_CARRIER_NAMES.get(platform, {}).get(carrier.code) or COMMON_CARRIER_NAMES.get(
        carrier.code, carrier.name
    )


# --- Which parcels ---------------------------------------------------------------------------


def batch_ship_parcels(shop, date_from, date_to, *, only_unexported=False):
    """The live, handed-over parcels holding orders of `shop`, shipped on the Shanghai days date_from..date_to.

    With `only_unexported`, those not yet in a 发货回传 file. Voided parcels and 补发 parcels never appear.
    """
    parcels = Parcel.objects.filter(
        status=Parcel.Status.SHIPPED,
        # A 补发 parcel is not the platform's shipment: the order there already has its number.
        kind=Parcel.Kind.NORMAL,
        shipped_at__isnull=False,
        pk__in=ParcelLine.objects.filter(line__order__shop=shop).values("parcel_id"),
    )
    parcels = on_days(parcels, "shipped_at", date_from, date_to)
    if only_unexported:
        parcels = parcels.filter(platform_exported_at__isnull=True)
    return parcels


def batch_ship_counts(shop, date_from, date_to, *, only_unexported):
    """{"total", "exported", "in_file"}: the days' parcels, those already in a file, those the next file holds."""
    counts = batch_ship_parcels(shop, date_from, date_to).aggregate(
        total=Count("pk"), exported=Count("pk", filter=Q(platform_exported_at__isnull=False))
    )
    counts["in_file"] = counts["total"] - counts["exported"] if only_unexported else counts["total"]
    return counts


def exported_then_voided(shop, date_from, date_to):
    """Parcels of `shop` shipped on those days that went out in a 发货回传 file and were voided after.

    The platform still shows their numbers: the clerk corrects them there by hand.
    """
    parcels = Parcel.objects.filter(
        status=Parcel.Status.VOIDED,
        platform_exported_at__isnull=False,
        pk__in=ParcelLine.objects.filter(line__order__shop=shop).values("parcel_id"),
    )
    return on_days(parcels, "shipped_at", date_from, date_to)


# --- The rows --------------------------------------------------------------------------------

PARCEL_LINE_VALUES = [
    "parcel_id",
    "line_id",
    "quantity",
    "line__order_id",
    "line__order__order_no",
    "line__sub_order_no",
]


def batch_ship_rows(parcels, shop, layout=None):
    """The file's rows (lists of plain cells, in `layout`'s column order, the shop's by default), by ship time.

    A row per (order, parcel): a merged parcel (two orders, one number) gives two rows with the
    same number. In a layout with 子订单号, an order not wholly in one parcel (拆单, 部分发货) gives
    a row per line of it in each parcel, with the line's 子订单号 (its order number when the line
    has none). Only the lines of `shop`'s orders. One query for the parcels, then per chunk of
    them at most three: carriers not seen yet, the parcel lines, the orders' lines.
    """
    layout = layout or layout_for(shop.platform)
    carriers = {}
    ordered = parcels.order_by("shipped_at", "pk").values_list("pk", "carrier_id", "tracking_number")
    for chunk in _chunks(list(ordered)):
        carriers.update(Carrier.objects.in_bulk({carrier_id for _pk, carrier_id, _n in chunk} - carriers.keys()))
        by_parcel = defaultdict(list)
        for parcel_id, *line in (
            ParcelLine.objects.filter(parcel_id__in=[pk for pk, _c, _n in chunk], line__order__shop=shop)
            .order_by("parcel_id", "pk")
            .values_list(*PARCEL_LINE_VALUES)
        ):
            by_parcel[parcel_id].append(line)
        whole = _whole_orders(by_parcel) if layout.per_sub_order else None
        for pk, carrier_id, number in chunk:
            cells = {CARRIER: platform_carrier_name(shop.platform, carriers[carrier_id]), TRACKING_NUMBER: number}
            for order_no, sub_order_no in _parcel_keys(by_parcel[pk], pk, whole):
                cells.update({ORDER_NO: order_no, SUB_ORDER_NO: sub_order_no})
                yield [cells[key] for _header, key in layout.columns]


def _parcel_keys(lines, parcel_pk, whole):
    """(订单号, 子订单号) of each row of one parcel: one per order, or per line of a split order.

    `whole` is None for a layout without 子订单号, else the (parcel, order) pairs held in full.
    """
    keys = []
    for _line_id, _quantity, order_id, order_no, sub_order_no in lines:
        if whole is not None and (parcel_pk, order_id) not in whole:
            key = (order_no, sub_order_no or order_no)
        else:
            key = (order_no, "")
        if key not in keys:
            keys.append(key)
    return keys


def _whole_orders(by_parcel):
    """{(parcel pk, order pk)} for each order that this parcel holds in full (every line, every unit)."""
    in_parcel = defaultdict(dict)  # (parcel, order) -> {line: units}
    for parcel_pk, lines in by_parcel.items():
        for line_id, quantity, order_id, _order_no, _sub_order_no in lines:
            units = in_parcel[(parcel_pk, order_id)]
            units[line_id] = units.get(line_id, 0) + quantity
    order_ids = {order_id for _parcel, order_id in in_parcel}
    ordered = defaultdict(dict)
    for order_id, line_id, quantity in OrderLine.objects.filter(order_id__in=order_ids).values_list(
        "order_id", "pk", "quantity"
    ):
        ordered[order_id][line_id] = quantity
    return {key for key, units in in_parcel.items() if units == ordered[key[1]]}


def _chunks(rows):
    for start in range(0, len(rows), BATCH_SHIP_CHUNK):
        yield rows[start : start + BATCH_SHIP_CHUNK]


# --- The file --------------------------------------------------------------------------------


def batch_ship_file(parcels, shop, file_format=None, columns=""):
    """(bytes, file format) of the 发货回传 file of `parcels` for `shop`: its layout, or `columns` (a
    COLUMN_SETS key) in its format; `file_format` (CSV or XLSX) instead of the layout's.

    Written by spreadsheets.writing, as every export: text formula-escaped, numbers kept as text
    (a CSV's digit-only cells get a leading tab, XLSX cells are typed text).
    """
    layout = layout_for(shop.platform, columns)
    file_format = file_format or layout.file_format
    rows = batch_ship_rows(parcels, shop, layout)
    if file_format == XLSX:
        return write_xlsx(rows, layout.headers, sheet_title=layout.sheet_title), XLSX
    # "utf-8-sig" writes the BOM itself; GB18030 has none.
    return "".join(iter_csv(rows, layout.headers, bom=False)).encode(layout.encoding), CSV
