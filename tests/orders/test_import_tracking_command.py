import pytest
from django.core.management import CommandError, call_command

from orders.models import Order, Parcel
from tests.factories import ItemFactory, OrderFactory, sf_number
from tests.importing import csv_bytes, db_snapshot

pytestmark = pytest.mark.django_db

HEADERS = ["订单号", "快递公司", "快递单号"]


def write(tmp_path, rows, encoding="utf-8", name="tracking.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes([HEADERS, *rows], encoding))
    return str(path)


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_tracking", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_ships_and_prints_a_summary(tmp_path, ledger_is_consistent):
    a, b = OrderFactory(), OrderFactory()
    path = write(tmp_path, [[a.order_no, "顺丰", sf_number(1)], [b.order_no, "SF", sf_number(2)]], encoding="gbk")
    out, err = run(path)
    assert "导入完成：已发货 2 行。" in out
    assert f"第 2 行：已发货：顺丰速运 {sf_number(1)}；" in out
    assert f"第 3 行：已发货：顺丰速运 {sf_number(2)}" in out
    assert err == ""
    assert set(Order.objects.values_list("status", flat=True)) == {"shipped"}
    ledger_is_consistent()


def test_dry_run_changes_nothing(tmp_path):
    order = OrderFactory()
    path = write(tmp_path, [[order.order_no, "SF", sf_number(1)]], encoding="utf-8-sig")
    before = db_snapshot()
    out, _err = run(path, "--dry-run")
    assert "检查通过（未写入）：将发货 1 行。" in out
    assert db_snapshot() == before


def test_any_error_exits_non_zero_and_changes_nothing(tmp_path):
    item = ItemFactory(initial_stock=1)
    good, short = OrderFactory(item=item), OrderFactory(item=item)
    rows = [[good.order_no, "SF", sf_number(1)], [short.order_no, "SF", sf_number(2)], ["X9", "SF", sf_number(3)]]
    path = write(tmp_path, rows)
    before = db_snapshot()
    with pytest.raises(CommandError, match="发现 2 个问题，未导入任何数据") as excinfo:
        run(path)
    assert excinfo.value.returncode == 1
    assert db_snapshot() == before


def test_errors_name_their_rows(tmp_path, capsys):
    path = write(tmp_path, [["X9", "SF", sf_number(3)]])
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_tracking", path, stdout=StringIO(), stderr=err)
    assert "第 2 行：订单 X9 不存在。" in err.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件是空的"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "这不是表格文件"),
        ("订单号,快递公司\r\nT1,SF\r\n".encode(), "文件缺少列：快递单号"),
    ],
)
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(str(path))


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="找不到文件"):
        run(str(tmp_path / "nope.csv"))


def test_a_merged_parcel_and_a_repeated_row(tmp_path, ledger_is_consistent):
    a, b = OrderFactory(), OrderFactory()
    rows = [[a.order_no, "SF", sf_number(1)], [b.order_no, "SF", sf_number(1)], [a.order_no, "SF", sf_number(1)]]
    out, _err = run(write(tmp_path, rows))
    assert f"第 3 行：已发货：顺丰速运 {sf_number(1)}" in out and f"与订单 {a.order_no} 合并发货（同一收货人）" in out
    assert "第 4 行：已跳过：与第 2 行重复（同一订单、同一单号），按一个包裹发货" in out
    assert "导入完成：已发货 2 行，已跳过 1 行。" in out
    assert Parcel.objects.get().lines.count() == 2
    ledger_is_consistent()
