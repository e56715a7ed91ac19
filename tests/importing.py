"""Helpers for import tests: files as real bytes, and a snapshot of everything an import may change."""

import io

import openpyxl

from inventory.models import InventoryItem, StockMovement
from orders.models import Order, OrderLine, Parcel, ParcelLine


def csv_bytes(rows, encoding="utf-8"):
    """A CSV file's bytes as Excel writes it (CRLF), in `encoding` (utf-8-sig adds the BOM)."""
    text = "\r\n".join(",".join(str(cell) for cell in row) for row in rows) + "\r\n"
    return text.encode(encoding)


def xlsx_bytes(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def db_snapshot():
    """Orders, stock and ledger exactly as stored, to compare before and after a refused import."""
    return {
        "orders": list(Order.objects.order_by("pk").values()),
        "lines": list(OrderLine.objects.order_by("pk").values()),
        "parcels": list(Parcel.objects.order_by("pk").values()),
        "parcel_lines": list(ParcelLine.objects.order_by("pk").values()),
        "stock": list(InventoryItem.objects.order_by("pk").values("pk", "sku", "stock")),
        "ledger": list(StockMovement.objects.order_by("pk").values()),
    }
