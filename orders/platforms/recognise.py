"""Which export a file is: a platform's order or item file (by its headers), a tracking file, or ours."""

from orders.platforms.layouts import LAYOUTS, ORDER_NO, QUANTITY, SKU, TRACKING_NUMBER_HEADERS, known_headers
from spreadsheets.formats import SpreadsheetFormat

OWN_LAYOUT = "own"  # the platform choice that means "our own 导入订单 columns"


def unwrap(text):
    """A cell without Excel's text tricks: ="2938475610293847" and a leading apostrophe."""
    if text.startswith('="') and text.endswith('"') and len(text) >= 3:
        return text[2:-1].strip()
    if text.startswith("'"):
        return text[1:].strip()
    return text


def layout_of(headers, platform=""):
    """The Layout whose signature the headers have (the most specific one), or None.

    `platform`: the clerk's choice (a Shop.Platform value); "" recognises any platform."""
    present = set(headers)
    found = [
        layout
        for layout in LAYOUTS
        if present.issuperset(layout.signature) and (not platform or layout.platform == platform)
    ]
    return max(found, key=lambda layout: len(layout.signature), default=None)


def is_tracking_file(headers):
    """订单号 + 快递单号 and no goods: a file for 导入快递单号 (a courier's, or 京东's 快递信息)."""
    present = set(headers)
    goods = {SKU, QUANTITY, "商品名称", "商家编码", "购买数量", "商品数量", "订购数量"}
    return (
        bool(present & {ORDER_NO, "订单编号", "主订单编号"})
        and bool(present & set(TRACKING_NUMBER_HEADERS))
        and not present & goods
    )


class OrderFileFormat(SpreadsheetFormat):
    """The order page's files: a header row is found below a platform export's title lines."""

    header_names = known_headers()
