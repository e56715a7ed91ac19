"""Writing spreadsheets for Excel: CSV as text chunks, XLSX with typed cells, and the export formats.

Both writers take rows of plain cells (str, int, naive Shanghai datetimes, None) and make them
safe the same way: every text cell formula-escaped (DESIGN.md rule 7), identifiers kept as text,
times as real dates. XLSX is the download we recommend for Excel: its cells carry their type,
so nothing depends on what Excel guesses; CSV is for other programs and for re-importing.
"""

import csv
import io
import unicodedata
from datetime import datetime
from itertools import chain, islice

from import_export.formats import base_formats
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from spreadsheets.cells import BOM, TIME_FORMAT, csv_cell, escape_formula, reads_as_number

# Column widths are measured on the headers and this many rows; wider text wraps in Excel's cell view.
WIDTH_SAMPLE_ROWS = 500
MIN_WIDTH, MAX_WIDTH = 6, 50
TIME_WIDTH = 20


class _LineBuffer:
    """A write-only file for csv.writer whose text is collected between yields."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def take(self):
        text, self.parts = "".join(self.parts), []
        return text


def iter_csv(rows, headers, chunk_rows=500):
    """`rows` (lists of cells) as CSV text chunks of `chunk_rows` rows, the first with the BOM and headers."""
    buffer = _LineBuffer()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    yield BOM + buffer.take()
    pending = 0
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
        pending += 1
        if pending == chunk_rows:
            yield buffer.take()
            pending = 0
    if pending:
        yield buffer.take()


def display_width(value):
    """How many Latin characters wide a cell's text is in Excel: a Chinese character counts two."""
    if isinstance(value, datetime):
        return TIME_WIDTH
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def column_widths(headers, rows):
    """A width per column that fits its header and the widest of `rows`, within MIN_WIDTH..MAX_WIDTH."""
    widths = [display_width(header) for header in headers]
    for row in rows:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], display_width(value))
    return [min(max(width + 2, MIN_WIDTH), MAX_WIDTH) for width in widths]


def write_xlsx(rows, headers, *, sheet_title):
    """`rows` as the bytes of an XLSX workbook of one sheet named `sheet_title` (e.g. 订单).

    Text cells are text (those that look like numbers get Excel's text format "@", so editing
    them keeps them text), numbers numbers, datetimes date cells in TIME_FORMAT. The header row
    is bold and frozen; the columns are as wide as their content. Written in openpyxl's
    write-only mode, so a 100,000-row report streams to a temporary file instead of memory.
    """
    rows = iter(rows)
    sample = list(islice(rows, WIDTH_SAMPLE_ROWS))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_title)
    for index, width in enumerate(column_widths(headers, sample), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        cell.alignment = Alignment(vertical="center")
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in chain(sample, rows):
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _xlsx_cell(sheet, value):
    if type(value) is str:
        # openpyxl refuses control characters (and reads a leading "=" as a formula: escaped first).
        text = ILLEGAL_CHARACTERS_RE.sub("", escape_formula(value))
        if reads_as_number(text):
            cell = WriteOnlyCell(sheet, value=text)
            cell.number_format = "@"
            return cell
        return text
    if type(value) is datetime:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = TIME_FORMAT
        return cell
    return value


# --- django-import-export formats ---------------------------------------------------------------
# The admin's export action hands these a tablib Dataset; its title names the sheet.


class ExcelCSV(base_formats.CSV):
    """CSV for the admin's export: the same cells as the report's CSV (BOM, text identifiers)."""

    def get_title(self):
        return "CSV（.csv）"

    def export_data(self, dataset, **kwargs):
        return "".join(iter_csv(dataset, dataset.headers or []))


class ExcelXLSX(base_formats.XLSX):
    """XLSX for the admin's export: a named sheet, typed cells, fitted widths (see write_xlsx)."""

    def get_title(self):
        return "Excel（.xlsx，推荐）"

    def export_data(self, dataset, **kwargs):
        return write_xlsx(dataset, dataset.headers or [], sheet_title=dataset.title or "Sheet1")
