import pytest

from inventory.models import StockMovement
from inventory.resources import StockCountImportResource
from oms.importing.formats import read_spreadsheet
from tests.factories import ItemFactory
from tests.importing import csv_bytes, db_snapshot, xlsx_bytes

pytestmark = pytest.mark.django_db


def run(rows, headers=("SKU", "盘点库存"), **kwargs):
    dataset = read_spreadsheet(csv_bytes([list(headers), *rows], kwargs.pop("encoding", "utf-8")))
    return StockCountImportResource().import_data(dataset, file_name="count.csv", **kwargs)


def test_each_difference_becomes_one_count_movement(clerk, ledger_is_consistent):
    up, down, same = ItemFactory(initial_stock=5), ItemFactory(initial_stock=5), ItemFactory(initial_stock=5)
    result = run([[up.sku, "8"], [down.sku, "2"], [same.sku, "5"]], user=clerk)
    assert result.problem_lines == []
    assert result.summary == "已调整 2 行，无变化 1 行。"
    counts = StockMovement.objects.filter(reason=StockMovement.Reason.COUNT)
    assert sorted(counts.values_list("item__sku", "delta", "balance_after", "note")) == sorted(
        [(up.sku, 3, 8, "盘点导入 count.csv"), (down.sku, -3, 2, "盘点导入 count.csv")]
    )
    assert set(counts.values_list("created_by", flat=True)) == {clerk.pk}
    ledger_is_consistent()


def test_preview_explains_each_row():
    item = ItemFactory(initial_stock=5, name="茶杯")
    result = run([[item.sku, "7"]], dry_run=True)
    assert (result.rows[0].outcome, result.rows[0].plan) == ("将调整", "茶杯：账面 5 件 → 盘点 7 件（+2）")


def test_header_alias_and_xlsx():
    item = ItemFactory(initial_stock=1)
    dataset = read_spreadsheet(xlsx_bytes([["sku", "盘点数量"], [item.sku, 4]]))
    result = StockCountImportResource().import_data(dataset)
    assert result.problem_lines == []
    item.refresh_from_db()
    assert item.stock == 4


def test_problems_change_nothing():
    item = ItemFactory(initial_stock=5)
    before = db_snapshot()
    result = run([[item.sku, "9"], ["NOPE", "1"], [item.sku, "-1"]])
    assert result.problem_lines == [
        f"第 2 行：SKU {item.sku} 在文件中出现了 2 次（第 2、4 行），每个SKU只能出现一次。",
        "第 3 行：SKU NOPE 不存在。",
        f"第 4 行：SKU {item.sku} 在文件中出现了 2 次（第 2、4 行），每个SKU只能出现一次。",
        "第 4 行：盘点库存“-1”无效，应为 0 或正整数。",
    ]
    assert db_snapshot() == before
