"""Reading uploaded spreadsheets: CSV in any encoding Chinese Excel writes, and XLSX.

One format class serves the admin's import page and the management commands, so both
accept, refuse and decode files the same way.
"""

import codecs
import csv
import io
import itertools
import os

import tablib
from import_export.formats import base_formats

from spreadsheets.uploads import unpack_files

MAX_IMPORT_BYTES = 10 * 1024 * 1024
# A 10,000-row file takes 6–9 s to preview and as long to confirm (docs/BENCHMARKS.md); twice
# that stays well inside the web server's 60 s request timeout (docs/DEPLOYMENT.md).
MAX_IMPORT_ROWS = 20_000
# Reading stops here, so a small file that declares a million rows (or columns) costs nothing:
# blank lines count towards MAX_IMPORT_LINES, cells right of MAX_IMPORT_COLUMNS are never read.
MAX_IMPORT_LINES = 2 * MAX_IMPORT_ROWS
MAX_IMPORT_COLUMNS = 100

# Signatures of files people upload by mistake (pictures, PDFs, old .xls, archives).
NOT_SPREADSHEET_SIGNATURES = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF",
    b"\xd0\xcf\x11\xe0",  # legacy .xls / .doc
    b"Rar!",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
)
XLSX_SIGNATURE = b"PK\x03\x04"
CONTROL_CHARACTERS = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


class ImportFileError(ValueError):
    """The uploaded file cannot be read as a spreadsheet; the message tells the user why, in Chinese."""


UNKNOWN_ENCODING = "无法识别文件的编码。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后重试。"
NOT_A_SPREADSHEET = "这不是表格文件。请上传 CSV 或 Excel（.xlsx）文件；.xls 请先在 Excel 中另存为 .xlsx。"


def check_size(size):
    if size > MAX_IMPORT_BYTES:
        raise ImportFileError(
            f"文件太大（{size / 1024 / 1024:.1f} MB），最大 {MAX_IMPORT_BYTES // 1024 // 1024} MB。请拆分后分批导入。"
        )


def decode_text(data):
    """Text of a CSV file: UTF-8 (with or without BOM) if it is valid UTF-8, else GB18030 (a superset of GBK).

    Both decodes are strict, so a file is never shown as mojibake: it decodes cleanly or is refused.
    """
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(UNKNOWN_ENCODING)


# Exports put an apostrophe before a cell Excel would read as a formula (=, +, -, @).
FORMULA_ESCAPE = ("'=", "'+", "'-", "'@")


def cell_text(value):
    """A cell as text: Excel's numbers without the trailing .0, spaces and an export's formula escape removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text[1:] if text.startswith(FORMULA_ESCAPE) else text


def too_many_rows():
    return ImportFileError(f"文件超过 {MAX_IMPORT_ROWS} 行数据，一次最多导入 {MAX_IMPORT_ROWS} 行。请拆分后分批导入。")


# Title lines above a header row (some platform exports have several) are looked through this far.
MAX_TITLE_LINES = 10


def _dataset(rows, is_header=None):
    """A Dataset from an iterable of rows of cells; the first non-empty row holds the headers.

    With `is_header` (a predicate on a row's cells), the header row is the first row it accepts
    within the first MAX_TITLE_LINES non-empty rows (the rows above are title lines); when none
    is, the first non-empty row. Blank rows are dropped; `dataset.line_numbers` keeps each data
    row's line in the file, so problems are reported on the line the user sees in Excel. Rows are
    consumed one at a time and reading stops at the first row past the cap.
    """
    headers, width, data, line_numbers, titles = None, 0, [], [], []

    def add(line, cells):
        # Rows shorter than the header get empty cells; cells past the last header are ignored.
        data.append((cells + [""] * width)[:width])
        line_numbers.append(line)
        if len(data) > MAX_IMPORT_ROWS:
            raise too_many_rows()

    rest = _non_empty_rows(rows)
    for line, cells in rest:
        if headers is not None:
            add(line, cells)
        elif is_header is None or is_header(cells):
            headers, width = _header(cells)
        else:
            titles.append((line, cells))
            if len(titles) == MAX_TITLE_LINES:
                break
    if headers is None and titles:  # no row looks like a header: the first one is it, as without a predicate
        headers, width = _header(titles[0][1])
        for line, cells in itertools.chain(titles[1:], rest):
            add(line, cells)
    if headers is None:
        raise ImportFileError("文件是空的。第一行应为表头，从第二行起每行一条数据。")
    if not data:
        raise ImportFileError("文件中只有表头，没有数据行。")
    dataset = tablib.Dataset(*data, headers=headers)
    dataset.line_numbers = line_numbers
    return dataset


def _non_empty_rows(rows):
    """(line, cells) of each row with a non-empty cell, up to the caps."""
    for line, row in enumerate(rows, start=1):
        if line > MAX_IMPORT_LINES:
            raise too_many_rows()
        cells = [cell_text(v) for v in row[:MAX_IMPORT_COLUMNS]]
        if any(cells):
            yield line, cells


def _header(cells):
    headers = list(cells)
    while headers and not headers[-1]:
        headers.pop()
    return headers, len(headers)


def read_csv(data, is_header=None):
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")  # Excel's "Unicode 文本": UTF-16, tab-separated
        except UnicodeDecodeError as exc:
            raise ImportFileError(UNKNOWN_ENCODING) from exc
    else:
        text = decode_text(data)
    if CONTROL_CHARACTERS.intersection(text[:65536]):
        raise ImportFileError(NOT_A_SPREADSHEET)
    first_line = text.lstrip("\ufeff").partition("\n")[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return _dataset(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), is_header)
    except csv.Error as exc:
        raise ImportFileError(f"CSV 格式有误：{exc}。请用 Excel 打开检查后另存为 CSV。") from exc


XLSX_BROKEN = "Excel 文件已损坏或不是 .xlsx 格式，无法读取。请用 Excel 打开后重新保存再上传。"


def read_xlsx(data, is_header=None):
    """The active sheet, streamed row by row (openpyxl's read-only mode) up to the caps."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors all mean the same to the user
        raise ImportFileError(XLSX_BROKEN) from exc
    try:
        sheet = book.active
        # The sheet's own <dimension> is not trusted: it would pad every row to the width it claims.
        sheet.reset_dimensions()
        return _dataset(sheet.iter_rows(values_only=True, max_col=MAX_IMPORT_COLUMNS), is_header)
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(XLSX_BROKEN) from exc
    finally:
        book.close()


def read_spreadsheet(data, is_header=None):
    """A tablib.Dataset from the bytes of an uploaded CSV or XLSX file; ImportFileError if it is not one.

    `is_header`: see _dataset (finding the header row below title lines)."""
    check_size(len(data))
    if not data.strip():
        raise ImportFileError("文件是空的。第一行应为表头，从第二行起每行一条数据。")
    if data.startswith(XLSX_SIGNATURE):
        return read_xlsx(data, is_header)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return read_csv(data, is_header)
    if data.startswith(NOT_SPREADSHEET_SIGNATURES) or b"\x00" in data[:65536]:
        raise ImportFileError(NOT_A_SPREADSHEET)
    return read_csv(data, is_header)


def read_spreadsheet_file(path):
    """read_spreadsheet for a file on disk, refusing an oversized file before reading it."""
    try:
        check_size(os.path.getsize(path))
        with open(path, "rb") as file:
            return read_spreadsheet(file.read())
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise ImportFileError(f"找不到文件：{path}") from exc


class SpreadsheetFormat(base_formats.CSV):
    """CSV (UTF-8 or GBK/GB18030) or XLSX, told apart by the file's content rather than its name.

    Binary, so the admin's temporary storage keeps the uploaded bytes and decoding happens here.
    An upload of several files (spreadsheets.uploads.pack_files) gives the first file's Dataset,
    with `files`: [(name, Dataset), ...] of all of them. `is_header` finds header rows below
    title lines (see _dataset) by the names in `header_names`.
    """

    # Names a header row has (two of them make a row the header): empty, the first non-empty row.
    header_names = frozenset()

    def get_title(self):
        return "CSV / Excel (xlsx)"

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        names = self.header_names
        is_header = (lambda cells: len(names.intersection(cells)) >= 2) if names else None
        files = [(name, read_named(name, data, is_header)) for name, data in unpack_files(in_stream)]
        dataset = files[0][1]
        dataset.files = files
        return dataset


def read_named(name, data, is_header=None):
    """read_spreadsheet, its refusal naming the file when it is one of several."""
    try:
        return read_spreadsheet(data, is_header)
    except ImportFileError as exc:
        raise ImportFileError(f"{name}：{exc}" if name else str(exc)) from exc
