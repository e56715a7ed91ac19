"""orders.platforms on its own: status words, Excel's text tricks, header rows below title lines."""

import pytest

from orders.platforms.recognise import OrderFileFormat, layout_of, unwrap
from orders.platforms.statuses import PlatformState, platform_state
from spreadsheets.formats import ImportFileError
from tests.importing import csv_bytes
from tests.platform_samples import DOUDIAN_HEADERS, PINDUODUO_HEADERS, TAOBAO_ITEM_HEADERS, TAOBAO_ORDER_HEADERS


@pytest.mark.parametrize(
    ("status", "after_sales", "state"),
    [
        ("买家已付款，等待卖家发货", "没有申请退款", PlatformState.TO_SHIP),
        ("待发货", "无售后或售后取消", PlatformState.TO_SHIP),
        ("等待买家付款", "", PlatformState.NOT_PAID),
        ("交易关闭", "", PlatformState.CLOSED),
        ("卖家已发货，等待买家确认", "", PlatformState.SHIPPED),
        ("交易成功", "", PlatformState.SHIPPED),
        ("待发货", "未发货仅退款", PlatformState.AFTER_SALES),
        ("已发货", "退货退款", PlatformState.AFTER_SALES),  # after-sales words win over the status
        ("待发货", "补寄", PlatformState.AFTER_SALES),
        ("售后中", "", PlatformState.AFTER_SALES),
        ("待发货", "无退款", PlatformState.TO_SHIP),
    ],
)
def test_platform_state_reads_the_words(status, after_sales, state):
    assert platform_state(status, after_sales)[0] == state


@pytest.mark.parametrize(
    ("cell", "text"),
    [('="2938475610293847"', "2938475610293847"), ("'13800000000-1234", "13800000000-1234"), ("=SUM(A1)", "=SUM(A1)")],
)
def test_unwrap_undoes_excel_text_tricks_only(cell, text):
    assert unwrap(cell) == text


def test_layouts_are_told_apart_by_headers():
    assert layout_of(DOUDIAN_HEADERS).label == "抖店订单导出"
    assert layout_of(TAOBAO_ORDER_HEADERS).label == "淘宝/天猫订单报表"
    assert layout_of(TAOBAO_ITEM_HEADERS).label == "淘宝/天猫宝贝报表"
    assert layout_of(PINDUODUO_HEADERS).label == "拼多多订单导出"
    assert layout_of(DOUDIAN_HEADERS, platform="jd") is None
    assert layout_of(["订单号", "SKU", "数量"]) is None  # our own layout


def read(rows):
    return OrderFileFormat().create_dataset(csv_bytes(rows, "gb18030"))


def test_the_header_row_is_found_below_title_lines():
    dataset = read([["订单列表"], ["导出时间：2026-12-01"], PINDUODUO_HEADERS, ["杯子", "231201-1"]])
    assert dataset.headers == PINDUODUO_HEADERS and dataset.line_numbers == [4]
    assert dataset[0][:2] == ("杯子", "231201-1")


def test_without_a_known_header_the_first_row_is_the_header():
    dataset = read([["甲", "乙"], ["1", "2"], ["3", "4"]])
    assert dataset.headers == ["甲", "乙"] and dataset.line_numbers == [2, 3]


def test_a_file_of_title_lines_only_says_it_has_no_rows():
    with pytest.raises(ImportFileError, match="只有表头"):
        read([["订单列表"]])
