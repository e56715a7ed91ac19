"""The exports opened in a real spreadsheet program: LibreOffice Calc, headless.

Each download (the order export and the 发货日报, CSV and XLSX) is opened by LibreOffice and
saved again as XLSX, then read back: the identifiers (order numbers, tracking numbers, phones,
子订单号) come back as text, digit for digit, and the times as date cells. The CSVs are read with
"detect special numbers" on, the most eager of LibreOffice's guesses, as Excel's own is.
Two soffice runs in all (the CSVs need an import filter, the XLSX files must not get it).
"""

import io
import shutil
import subprocess
from datetime import datetime

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from orders import services
from orders.models import OrderLine
from tests.factories import ItemFactory, OrderFactory, carrier
from tests.orders.report_data import dated, shanghai

SOFFICE = shutil.which("soffice")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(SOFFICE is None, reason="no LibreOffice (libreoffice-calc): bash scripts/test.sh installs it"),
]

ORDER_NO = "202611240000000001"  # 18 digits: Excel keeps 15 significant digits of a number
PHONE = "13800138000"
CUSTOMER = "0012345"  # a leading zero a number would drop
SUB_ORDER = "3456789012345678901"  # a 19-digit 子订单号
ZTO_NUMBER = "78636098066239"  # 14 digits: 7.86361E+13 as a number
SF_NUMBER = "SF1234567890123"
# CSV import filter: comma, double quote, UTF-8 (76), from line 1, standard columns, Chinese
# (2052), quoted fields not forced to text, detect special numbers (dates) on.
CSV_FILTER = "CSV:44,34,76,1,,2052,false,true"


def convert_to_xlsx(paths, outdir, profile, infilter=None):
    """Open every file of `paths` in LibreOffice and save it as XLSX in `outdir` (one soffice run)."""
    command = [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore"]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", "xlsx", "--outdir", str(outdir), *map(str, paths)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603 (our own arguments)
    return [outdir / (path.stem + ".xlsx") for path in paths]


def sheet_rows(path):
    sheet = openpyxl.load_workbook(path).active
    return sheet, [list(row) for row in sheet.iter_rows()]


def column(rows, header):
    """The cells under `header` (the header row is the first)."""
    index = [cell.value for cell in rows[0]].index(header)
    return [row[index] for row in rows[1:]]


def as_text(cell):
    """A cell that must be text; the CSV's leading tab (what keeps it text) is not part of the value."""
    assert cell.data_type == "s", f"{cell.coordinate} became a {cell.data_type} cell: {cell.value!r}"
    return cell.value.removeprefix("\t")


@pytest.fixture
def downloads(django_user_model, client, tmp_path):
    """The four downloads of a manager who may see full receivers, saved as files."""
    cup = ItemFactory(sku="CUP", name="保温杯 500ml", initial_stock=10)
    order = OrderFactory(
        order_no=ORDER_NO,
        customer_id=CUSTOMER,
        receiver_name="=1+1",
        receiver_phone=PHONE,
        address="上海市浦东新区张杨路 100 号",
        created_at=shanghai(2026, 11, 20, 8, 30),
        lines=[(cup, 3)],
    )
    OrderLine.objects.filter(order=order).update(sub_order_no=SUB_ORDER)
    line = order.lines.get()
    dated(services.ship_parcel([(line, 1)], carrier("ZTO"), ZTO_NUMBER), timezone.now())
    dated(services.ship_parcel([(line, 2)], carrier("SF"), SF_NUMBER), timezone.now())

    manager = django_user_model.objects.create_user("boss", password="pw-boss-12345", is_staff=True)
    codenames = ["view_order", "export_order", "view_shipping_report", "export_full_receiver"]
    manager.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(manager)
    files = {}
    for name, fmt in [("order.csv", "0"), ("order.xlsx", "1")]:
        response = client.post("/admin/orders/order/export/?ship_status=all", {"format": fmt, "resource": "0"})
        assert response.status_code == 200
        files[name] = response.content
    today = timezone.localdate().isoformat()
    for fmt in ("csv", "xlsx"):
        query = {"date_from": today, "date_to": today, "format": fmt}
        response = client.get("/admin/orders/order/shipping-report/", query)
        assert response.status_code == 200
        files[f"report.{fmt}"] = b"".join(response.streaming_content) if response.streaming else response.content
    source = tmp_path / "source"
    source.mkdir()
    for name, content in files.items():
        (source / name).write_bytes(content)
    out, profile = tmp_path / "out", tmp_path / "profile"
    csvs = convert_to_xlsx([source / "order.csv", source / "report.csv"], out / "csv", profile, CSV_FILTER)
    xlsxs = convert_to_xlsx([source / "order.xlsx", source / "report.xlsx"], out / "xlsx", profile)
    return dict(zip(["order.csv", "report.csv", "order.xlsx", "report.xlsx"], csvs + xlsxs, strict=True))


def test_the_downloads_keep_identifiers_and_dates_in_libreoffice(downloads):
    # One test for the four files: the two soffice runs are most of its time.
    for download in ("order.csv", "order.xlsx"):
        check_order_export(*sheet_rows(downloads[download]))
    for download in ("report.csv", "report.xlsx"):
        check_shipping_report(*sheet_rows(downloads[download]))
    check_xlsx_sheets(sheet_rows(downloads["order.xlsx"])[0], sheet_rows(downloads["report.xlsx"])[0])


def check_order_export(_sheet, rows):
    assert [as_text(c) for c in column(rows, "订单号")] == [ORDER_NO]
    assert [as_text(c) for c in column(rows, "用户ID")] == [CUSTOMER]
    assert [as_text(c) for c in column(rows, "电话")] == [PHONE]
    assert [as_text(c) for c in column(rows, "子订单号")] == [SUB_ORDER]
    assert [as_text(c) for c in column(rows, "快递单号")] == [f"{ZTO_NUMBER}、{SF_NUMBER}"]
    assert [c.value for c in column(rows, "数量")] == [3]  # a quantity is still a number
    [ordered] = column(rows, "下单时间")
    assert ordered.is_date and ordered.value == datetime(2026, 11, 20, 8, 30)  # Shanghai time
    # Rule 7 holds in the real program: the receiver's "=1+1" is shown as typed, not computed.
    [receiver] = column(rows, "收货人")
    assert receiver.data_type == "s" and receiver.value == "'=1+1"


def check_shipping_report(_sheet, rows):
    assert [as_text(c) for c in column(rows, "快递单号")] == [ZTO_NUMBER, SF_NUMBER]
    assert [as_text(c) for c in column(rows, "订单号")] == [ORDER_NO, ORDER_NO]
    assert [as_text(c) for c in column(rows, "电话")] == [PHONE, PHONE]
    shipped = column(rows, "发货时间")
    now = timezone.localtime().replace(tzinfo=None)
    assert all(c.is_date and abs((c.value - now).total_seconds()) < 600 for c in shipped)


def check_xlsx_sheets(order_sheet, report_sheet):
    assert (order_sheet.title, report_sheet.title) == ("订单", "发货日报")
    widths = {order_sheet.cell(1, i).value: order_sheet.column_dimensions[chr(64 + i)].width for i in range(1, 15)}
    # 上海市浦东新区张杨路 100 号 is 26 columns wide in Excel's measure; 18 digits need 18.
    assert widths["地址"] >= 26 and widths["订单号"] >= 18 and widths["下单时间"] >= 19


def test_a_raw_number_would_not_survive(tmp_path):
    """The check itself: LibreOffice does turn untreated digits into a rounded number."""
    source = tmp_path / "raw.csv"
    source.write_text(f"\ufeff订单号,快递单号\n{ORDER_NO},{ZTO_NUMBER}\n", encoding="utf-8")
    [converted] = convert_to_xlsx([source], tmp_path / "out", tmp_path / "profile", CSV_FILTER)
    _sheet, rows = sheet_rows(converted)
    assert [c.data_type for c in rows[1]] == ["n", "n"]
    assert str(int(rows[1][0].value)) != ORDER_NO  # 18 digits do not fit a double


def test_the_downloads_have_chinese_file_names(django_user_model, client):
    manager = django_user_model.objects.create_user("boss", password="pw-boss-12345", is_staff=True)
    manager.user_permissions.add(*Permission.objects.filter(codename__in=["view_order", "export_order"]))
    client.force_login(manager)
    OrderFactory()
    today = timezone.localdate().isoformat()
    response = client.post("/admin/orders/order/export/?ship_status=all", {"format": "1", "resource": "0"})
    # RFC 5987: an ASCII fallback for old clients, the UTF-8 name for every current browser.
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''%E8%AE%A2%E5%8D%95%E5%AF%BC%E5%87%BA-{today}.xlsx"
    )
    assert openpyxl.load_workbook(io.BytesIO(response.content)).active.title == "订单"
