"""Normalising an upload of platform exports into our order import's rows (layouts.CANONICAL).

One or two files (an order file and its item file, joined on 订单号) become one Dataset with a
row per order line, each keeping the line it came from. A file that cannot give what is needed
is refused here, naming the columns it lacks; nothing else is decided here (the planner in
orders.resources decides what each row does).
"""

from dataclasses import dataclass

import tablib

from orders.models import Shop
from orders.platforms import layouts
from orders.platforms.layouts import (
    ADDRESS,
    BUYER_MESSAGE,
    CANONICAL,
    CITY,
    DISTRICT,
    ENCRYPTED,
    NAME,
    NOTE,
    ORDER_NO,
    PHONE,
    PROVINCE,
    SELLER_NOTE,
    STREET,
)
from orders.platforms.recognise import OWN_LAYOUT, is_tracking_file, layout_of, unwrap
from spreadsheets.formats import ImportFileError

MASK = "*"
ENCRYPTED_PLACEHOLDER = "平台加密"
FILE_PROBLEM = "文件问题"  # a row's problem found while joining files, for the planner to report
READ_COLUMNS = (*CANONICAL, STREET, BUYER_MESSAGE, SELLER_NOTE)
RECEIVER = (NAME, PHONE, ADDRESS)
TRACKING_FILE = "“{name}”是快递单号文件（订单号、快递公司、快递单号），不是订单。请在“导入内容”中选择“导入快递单号”。"


@dataclass
class Upload:
    """What an upload was read as: `layouts` (none for our own columns) and the rows to plan."""

    dataset: tablib.Dataset
    layouts: tuple = ()

    @property
    def platform(self):
        return self.layouts[0].platform if self.layouts else ""

    @property
    def label(self):
        return "＋".join(layout.label for layout in self.layouts)


def read_upload(files, platform=""):
    """An Upload of `files` ([(name, Dataset), ...]), recognised by headers or as `platform`'s.

    `platform`: "" (自动识别), OWN_LAYOUT, or a Shop.Platform value. Raises ImportFileError
    (Chinese, naming the file and the missing columns) when the files cannot be imported."""
    found = []
    for name, dataset in files:
        headers = [unwrap(header) for header in dataset.headers or []]
        dataset.headers = headers
        layout = None if platform == OWN_LAYOUT else layout_of(headers, platform)
        if layout is None and is_tracking_file(headers):
            raise ImportFileError(TRACKING_FILE.format(name=name or "这个文件"))
        if layout is None and platform and platform != OWN_LAYOUT:
            wanted = "、".join(layouts_of(platform))
            raise ImportFileError(
                f"“{name or '这个文件'}”不是{Shop.Platform(platform).label}的订单导出：表头中没有 {wanted}。"
                "请检查文件，或在“平台”中选择“自动识别”。"
            )
        found.append((name, dataset, layout))
    if any(layout is None for _n, _d, layout in found):
        if len(found) > 1:
            raise ImportFileError(
                "一次上传多个文件时，只能是同一平台的订单文件和商品文件（如淘宝的订单报表和宝贝报表）。"
                "本系统格式的订单文件请一次上传一个。"
            )
        dataset = found[0][1]
        for row_index, row in enumerate(dataset):
            dataset[row_index] = tuple(unwrap(cell) for cell in row)
        return Upload(dataset)
    platforms = {layout.platform for _n, _d, layout in found}
    if len(platforms) > 1:
        names = "、".join(dict.fromkeys(Shop.Platform(p).label for p in platforms))
        raise ImportFileError(f"这些文件来自不同平台（{names}），一次只能导入一个平台、一个店铺的订单。")
    orders = [entry for entry in found if entry[2].kind == "orders"]
    items = [entry for entry in found if entry[2].kind == "items"]
    if len(orders) > 1 or len(items) > 1:
        raise ImportFileError("一次最多上传一个订单文件和一个商品文件（同一平台）。")
    if items and orders:
        return joined(orders[0], items[0])
    name, dataset, layout = (orders or items)[0]
    needs = dict.fromkeys([*layout.needs, *RECEIVER])  # an item file alone must bring the receivers too
    needs = [column for column in needs if not (layout.receiver_hidden and column in RECEIVER)]
    missing = [column for column in needs if column_index(layout, dataset.headers, column) is None]
    if missing and items:
        pair = next((o for o in layouts.LAYOUTS if o.platform == layout.platform and o.kind == "orders"), None)
        raise ImportFileError(
            f"“{name}”是{layout.label}，缺少{missing_text(layout, missing)}。"
            f"请把{pair.label if pair else '订单文件'}和它一起上传（可同时选择两个文件）。"
        )
    if missing:
        pair = next((i for i in layouts.LAYOUTS if i.platform == layout.platform and i.kind == "items"), None)
        also = f"；或把{pair.label}和它一起上传（可同时选择两个文件）" if pair else ""
        raise ImportFileError(f"“{name}”是{layout.label}，缺少{missing_text(layout, missing)}{also}。")
    positions = positions_of(layout, dataset.headers)
    rows = [(line, read_row(layout, positions, cells)) for line, cells in numbered(dataset)]
    return Upload(canonical_dataset(rows), (layout,))


def joined(orders_file, items_file):
    """An item file's lines, each completed from its order's row in the order file (on 订单号)."""
    (orders_name, orders_data, orders_layout), (items_name, items_data, items_layout) = orders_file, items_file
    by_order = {}
    positions = positions_of(orders_layout, orders_data.headers)
    for _line, cells in numbered(orders_data):
        row = read_row(orders_layout, positions, cells)
        by_order.setdefault(row[ORDER_NO], row)
    needs = [column for column in items_layout.needs if column != ORDER_NO]
    missing = [column for column in needs if column_index(items_layout, items_data.headers, column) is None]
    if missing:
        raise ImportFileError(f"“{items_name}”是{items_layout.label}，缺少{missing_text(items_layout, missing)}。")
    rows, positions = [], positions_of(items_layout, items_data.headers)
    for line, cells in numbered(items_data):
        row = read_row(items_layout, positions, cells)
        order = by_order.get(row[ORDER_NO])
        if order is None:
            row[FILE_PROBLEM] = f"订单 {row[ORDER_NO]} 不在订单文件“{orders_name}”中，无法得到收货信息。"
        else:
            for column, value in order.items():
                if value and not row.get(column):
                    row[column] = value  # the order's receiver, times, remarks and status
        rows.append((line, row))
    with_items = {row[ORDER_NO] for _line, row in rows}
    without_items = [order_no for order_no in by_order if order_no not in with_items]
    if without_items:  # nothing lost: an order of the order file must not vanish for want of its lines
        shown = "、".join(without_items[:5]) + (" 等" if len(without_items) > 5 else "")
        raise ImportFileError(
            f"订单文件“{orders_name}”中有 {len(without_items)} 个订单在商品文件“{items_name}”中没有商品（{shown}）。"
            "请上传同一次导出的两个文件。"
        )
    return Upload(canonical_dataset(rows), (orders_layout, items_layout))


def layouts_of(platform):
    return [" + ".join(layout.signature) for layout in layouts.LAYOUTS if layout.platform == platform]


def column_index(layout, headers, column):
    """The position of the first header that carries `column` in this layout, or None."""
    for header in layout.headers_for(column):
        if header in headers:
            return headers.index(header)
    return None


def missing_text(layout, columns):
    """列“商家编码”（或 商家SKUID、商品SKU…）、… for the columns a file lacks."""
    parts = []
    for column in columns:
        names = list(dict.fromkeys(layout.headers_for(column)))
        also = f"（或 {'、'.join(names[1:4])}）" if len(names) > 1 else ""
        parts.append(f"“{names[0]}”{also}")
    return f"列 {'、'.join(parts)}"


def numbered(dataset):
    lines = getattr(dataset, "line_numbers", None) or range(2, len(dataset) + 2)
    return zip(lines, dataset, strict=True)


def positions_of(layout, headers):
    """{canonical column: index} of the columns a file of this layout has (once per file, not per row)."""
    found = ((column, column_index(layout, headers, column)) for column in READ_COLUMNS)
    return {column: index for column, index in found if index is not None}


def read_row(layout, positions, cells):
    """One file row as {canonical column: text} (positions: positions_of), receivers made whole."""
    row = {column: unwrap(cells[index]) for column, index in positions.items()}
    remarks = [(label, row.pop(label, "")) for label in (BUYER_MESSAGE, SELLER_NOTE)]
    row[NOTE] = "；".join(f"{label}：{text}" for label, text in remarks if text)
    street = row.pop(STREET, "")
    hidden = layout.receiver_hidden or any(is_masked(row.get(column, "")) for column in RECEIVER)
    for column in (PROVINCE, CITY, DISTRICT):
        if is_masked(row.get(column, "")):
            row[column] = ""  # 拼多多 masks even the province
    region = [row.get(column, "") for column in (PROVINCE, CITY, DISTRICT)]
    detail = "" if is_masked(row.get(ADDRESS, "")) else row.get(ADDRESS, "")
    street = "" if is_masked(street) else street
    # 地址 stays the full line the courier prints: the region and street before the detail.
    parts = dict.fromkeys(part for part in (*region, street) if part and part not in detail)  # 上海市上海市 once
    row[ADDRESS] = "".join([*parts, detail])
    if hidden:
        row[ENCRYPTED] = "是"
        for column in (NAME, PHONE):
            if not row.get(column) or set(row[column]) <= {MASK}:
                row[column] = ENCRYPTED_PLACEHOLDER
        if not detail:
            row[ADDRESS] = f"{row[ADDRESS]}（{ENCRYPTED_PLACEHOLDER}）" if row[ADDRESS] else ENCRYPTED_PLACEHOLDER
    return row


def is_masked(text):
    return MASK * 2 in text


def canonical_dataset(rows):
    """A Dataset of our columns (and FILE_PROBLEM) from [(line, {column: text}), ...]."""
    headers = [*CANONICAL, FILE_PROBLEM]
    dataset = tablib.Dataset(*[[row.get(column, "") for column in headers] for _line, row in rows], headers=headers)
    dataset.line_numbers = [line for line, _row in rows]
    return dataset
