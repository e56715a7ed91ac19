import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import InventoryItem, StockMovement
from inventory.resources import StockCountImportResource
from inventory.services import adjust_stock
from spreadsheets.formats import read_spreadsheet
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


def test_queries_do_not_grow_with_the_rows():
    def queries(count):
        items = [ItemFactory(initial_stock=5) for _ in range(count)]
        with CaptureQueriesContext(connection) as ctx:
            result = run([[item.sku, str(n % 3 + 4)] for n, item in enumerate(items)])
        assert result.problem_lines == []
        return len([q for q in ctx.captured_queries if not q["sql"].startswith("UPDATE")])

    # One locking read of the books and one ledger insert per batch; only the stock UPDATE is per item.
    assert queries(3) == queries(30)


def test_a_sale_after_the_preview_does_not_make_the_count_wrong(ledger_is_consistent):
    item = ItemFactory(initial_stock=10)

    class SoldMeanwhile(StockCountImportResource):
        def import_instance(self, instance, row, **kwargs):
            super().import_instance(instance, row, **kwargs)
            adjust_stock(InventoryItem.objects.get(pk=item.pk), -1, StockMovement.Reason.SHIP)  # books now 9

    dataset = read_spreadsheet(csv_bytes([["SKU", "盘点库存"], [item.sku, "7"]]))
    SoldMeanwhile().import_data(dataset)

    # The count is what was on the shelf: the movement is measured against the books as locked.
    assert InventoryItem.objects.get(pk=item.pk).stock == 7
    assert list(item.movements.filter(reason="count").values_list("delta", "balance_after")) == [(-2, 7)]
    ledger_is_consistent()


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        (str(2**31), f"盘点库存“{2**31}”太大，最多 1000000。"),
        (str(2**63), f"盘点库存“{2**63}”太大，最多 1000000。"),
        ("1000001", "盘点库存“1000001”太大，最多 1000000。"),
        ("5²", "盘点库存“5²”无效，应为 0 或正整数。"),
        ("²", "盘点库存“²”无效，应为 0 或正整数。"),
        ("١٢", "盘点库存“١٢”无效，应为 0 或正整数。"),
    ],
)
def test_a_count_that_is_not_a_sane_whole_number_is_a_chinese_problem(typed, problem):
    item = ItemFactory(initial_stock=5)
    before = db_snapshot()
    result = run([[item.sku, typed]])
    assert result.problem_lines == [f"第 2 行：{problem}"]
    assert db_snapshot() == before


def test_full_width_digits_and_the_largest_count_are_accepted(ledger_is_consistent):
    small, large = ItemFactory(initial_stock=5), ItemFactory(initial_stock=5)
    result = run([[small.sku, "１２"], [large.sku, "1000000"]])
    assert result.problem_lines == []
    assert InventoryItem.objects.get(pk=small.pk).stock == 12
    assert InventoryItem.objects.get(pk=large.pk).stock == 1_000_000
    ledger_is_consistent()


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        (("SKU", "盘点库存", "盘点库存"), "列“盘点库存”出现了 2 次（第 B、C 列）"),
        (("SKU", "盘点数量", "盘点库存"), "列“盘点库存”出现了 2 次（第 B、C 列，文件中写作 盘点数量、盘点库存）"),
        (("sku", "盘点库存", "SKU"), "列“SKU”出现了 2 次（第 A、C 列，文件中写作 sku、SKU）"),
    ],
)
def test_a_repeated_column_is_refused_naming_it(headers, problem):
    item = ItemFactory(initial_stock=5)
    before = db_snapshot()
    result = run([[item.sku, "7", "9"]], headers=headers)
    assert result.problem_lines == [f"{problem}。每列只能出现一次，请删除多余的列后重新导入。"]
    assert db_snapshot() == before
