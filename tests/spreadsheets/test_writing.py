"""spreadsheets.writing: what the XLSX writer makes of each kind of cell."""

import io
from datetime import datetime

import openpyxl

from spreadsheets.writing import column_widths, write_xlsx


def test_xlsx_cells_keep_their_kind():
    rows = [["730012345678901", "=1+1", "坏\x01字符", 3, datetime(2026, 11, 24, 8, 5, 9), None, ""]]
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(rows, list("ABCDEFG"), sheet_title="订单"))).active
    number, formula, control, quantity, moment, none, blank = sheet[2]
    assert sheet.title == "订单" and sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert (number.data_type, number.value, number.number_format) == ("s", "730012345678901", "@")
    assert (formula.data_type, formula.value) == ("s", "'=1+1")  # rule 7
    assert control.data_type == "s" and control.value.startswith("坏")  # written, not refused
    assert (quantity.data_type, quantity.value) == ("n", 3)
    assert moment.is_date and moment.value == datetime(2026, 11, 24, 8, 5, 9)
    assert none.value is None and blank.value is None


def test_columns_are_as_wide_as_chinese_text():
    # A Chinese character is two columns wide in Excel's measure; padding 2; 6 to 50.
    assert column_widths(["地址", "ID", "备注"], [["上海市浦东新区张杨路 100 号", "7", "长" * 80]]) == [29, 6, 50]


def test_our_csv_comes_back_into_our_imports_digit_for_digit():
    from spreadsheets.formats import read_spreadsheet
    from spreadsheets.writing import iter_csv

    text = "".join(iter_csv([["202611240000000001", "SF", "730012345678901"]], ["订单号", "快递公司", "快递单号"]))
    dataset = read_spreadsheet(text.encode("utf-8"))
    assert list(dataset[0]) == ["202611240000000001", "SF", "730012345678901"]
