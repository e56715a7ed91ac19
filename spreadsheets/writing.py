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

import xlsxwriter
from import_export.formats import base_formats

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


def iter_csv(rows, headers, chunk_rows=500, *, bom=True):
    """`rows` (lists of cells) as CSV text chunks of `chunk_rows` rows, the first with the BOM and headers.

    `bom=False` for text that will be encoded other than as UTF-8 (a platform's GB18030 file).
    """
    buffer = _LineBuffer()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    yield (BOM if bom else "") + buffer.take()
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

    Text cells are text (those that look like numbers also get Excel's text format "@", so
    editing them keeps them text), numbers numbers, datetimes date cells in TIME_FORMAT. The
    header row is bold and frozen; the columns are as wide as their content. XlsxWriter in its
    constant-memory mode: rows go to a temporary file as they come, four times faster than
    openpyxl's write-only mode (docs/BENCHMARKS.md).
    """
    rows = iter(rows)
    sample = list(islice(rows, WIDTH_SAMPLE_ROWS))
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"constant_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(sheet_title)
    time_format = book.add_format({"num_format": TIME_FORMAT})
    text_format = book.add_format({"num_format": "@"})
    for index, width in enumerate(column_widths(headers, sample)):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, headers, book.add_format({"bold": True}))
    for row_index, row in enumerate(chain(sample, rows), start=1):
        for column, value in enumerate(row):
            if type(value) is str:
                # Escaped (rule 7) though write_string never makes a formula: the file may be saved as CSV.
                text = escape_formula(value)
                if reads_as_number(text):
                    sheet.write_string(row_index, column, text, text_format)
                elif text:
                    sheet.write_string(row_index, column, text)
            elif type(value) is datetime:
                sheet.write_datetime(row_index, column, value, time_format)
            elif isinstance(value, int | float):
                sheet.write_number(row_index, column, value)
            elif value is not None:
                sheet.write_string(row_index, column, str(value))
    book.close()
    return output.getvalue()


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
