import io
import zipfile

import pytest

from spreadsheets.formats import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    ImportFileError,
    SpreadsheetFormat,
    read_spreadsheet,
)
from tests.importing import csv_bytes, xlsx_bytes

ROWS = [["订单号", "快递公司", "快递单号"], ["T1", "顺丰速运", "SF0000000000001"], ["T2", "中通", "70000000000001"]]
EXPECTED = [("T1", "顺丰速运", "SF0000000000001"), ("T2", "中通", "70000000000001")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_excel_writes(encoding):
    dataset = read_spreadsheet(csv_bytes(ROWS, encoding))
    assert dataset.headers == ["订单号", "快递公司", "快递单号"]
    assert list(dataset) == EXPECTED


def test_excels_unicode_text_utf16_tab_separated():
    text = "\r\n".join("\t".join(row) for row in ROWS) + "\r\n"
    assert list(read_spreadsheet(text.encode("utf-16"))) == EXPECTED


def test_gb18030_only_characters():
    # 𠮷 and the euro sign are outside GBK: a GB18030 file carries them, and they come back intact.
    dataset = read_spreadsheet(csv_bytes([["收货人"], ["𠮷野家€"]], "gb18030"))
    assert list(dataset) == [("𠮷野家€",)]


def test_xlsx_numbers_come_back_as_text_without_dot_zero():
    dataset = read_spreadsheet(xlsx_bytes([["订单号", "数量"], [20250101001, 2.0], ["T2", None]]))
    assert list(dataset) == [("20250101001", "2"), ("T2", "")]


def test_blank_rows_are_dropped_but_line_numbers_kept():
    dataset = read_spreadsheet(csv_bytes([["订单号", "数量"], ["T1", "1"], ["", ""], ["T2", "2"]]))
    assert list(dataset) == [("T1", "1"), ("T2", "2")]
    assert dataset.line_numbers == [2, 4]


def test_short_rows_are_padded():
    dataset = read_spreadsheet("订单号,快递公司,快递单号\r\nT1,SF\r\n".encode())
    assert list(dataset) == [("T1", "SF", "")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件是空的"),
        (b"  \r\n\r\n", "文件是空的"),
        (b",,\r\n,,\r\n", "文件是空的"),
        ("订单号,快递公司,快递单号\r\n".encode(), "文件中只有表头，没有数据行"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "这不是表格文件"),
        (b"%PDF-1.4\n", "这不是表格文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "这不是表格文件"),
        (b"abc\x00def", "这不是表格文件"),
        (b"PK\x03\x04broken zip", "Excel 文件已损坏"),
        (b"abc,\xff\r\n1,2\r\n", "无法识别文件的编码"),
        (b"\xff\xfea\x00b", "无法识别文件的编码"),
    ],
)
def test_refusals_in_chinese(data, message):
    with pytest.raises(ImportFileError, match=message):
        read_spreadsheet(data)


def test_too_big():
    with pytest.raises(ImportFileError, match=r"文件太大（10\.0 MB），最大 10 MB"):
        read_spreadsheet(b"a" * (MAX_IMPORT_BYTES + 1))


def test_format_class_is_binary_for_the_admins_temporary_storage():
    fmt = SpreadsheetFormat()
    assert fmt.is_binary() and fmt.get_read_mode() == "rb" and fmt.can_import()
    assert list(fmt.create_dataset(csv_bytes(ROWS, "gbk"))) == EXPECTED


def xlsx_with_sheet(sheet_rows_xml, dimension="A1"):
    """A real .xlsx whose first sheet is the given <row> XML, written by hand so it can be huge or broken."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["SKU"]])))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{sheet_rows_xml}'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = sheet.encode() if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            target.writestr(info.filename, data)
    return out.getvalue()


def numbered_rows(first, last):
    return "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>S{n}</t></is></c><c r="B{n}"><v>1</v></c></row>'
        for n in range(first, last + 1)
    )


TOO_MANY_ROWS = f"文件超过 {MAX_IMPORT_ROWS} 行数据，一次最多导入 {MAX_IMPORT_ROWS} 行。请拆分后分批导入。"


def test_an_xlsx_flood_is_refused_at_the_cap_without_reading_the_rest():
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>SKU</t></is></c></row>'
    # The sheet breaks off (no closing tags) after the first row past the cap: reading it all would fail there.
    data = xlsx_with_sheet(header + numbered_rows(2, MAX_IMPORT_ROWS + 2) + '<row r="', dimension="A1:XFD1048576")
    with pytest.raises(ImportFileError) as refused:
        read_spreadsheet(data)
    assert str(refused.value) == TOO_MANY_ROWS


def test_an_xlsx_declaring_a_million_blank_rows_is_refused_at_the_cap():
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>SKU</t></is></c></row>'
    far = '<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>S</t></is></c></row>'
    data = xlsx_with_sheet(header + numbered_rows(2, 3) + far + "</sheetData></worksheet>")
    with pytest.raises(ImportFileError) as refused:
        read_spreadsheet(data)
    assert str(refused.value) == TOO_MANY_ROWS


def test_an_xlsx_at_the_cap_is_read_whole():
    header = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>SKU</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>数量</t></is></c></row>'
    )
    dataset = read_spreadsheet(
        xlsx_with_sheet(header + numbered_rows(2, MAX_IMPORT_ROWS + 1) + "</sheetData></worksheet>")
    )
    assert len(dataset) == MAX_IMPORT_ROWS
    assert dataset[-1] == (f"S{MAX_IMPORT_ROWS + 1}", "1")


def test_a_csv_flood_is_refused_at_the_cap():
    rows = [["SKU", "数量"], *([f"S{n}", "1"] for n in range(MAX_IMPORT_ROWS + 1))]
    with pytest.raises(ImportFileError) as refused:
        read_spreadsheet(csv_bytes(rows))
    assert str(refused.value) == TOO_MANY_ROWS
