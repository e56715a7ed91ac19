"""发货回传 (issue 17): the platforms' batch-ship files, the page that downloads them, the 已回传 mark."""

import csv
import io
from datetime import date, timedelta
from urllib.parse import quote

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from orders import after_sales, services
from orders.models import AfterSaleCase, Carrier, OrderLine, Parcel, Shop
from orders.platforms.batch_ship import (
    LAYOUTS,
    batch_ship_file,
    batch_ship_parcels,
    platform_carrier_name,
)
from orders.timeline import order_timeline
from tests.factories import ItemFactory, OrderFactory, ShopFactory, carrier
from tests.orders.report_data import dated, new_number, shanghai
from tests.role_fixtures import staff_in
from tests.spreadsheets.test_libreoffice import CSV_FILTER, SOFFICE, as_text, column, convert_to_xlsx, sheet_rows

pytestmark = pytest.mark.django_db

URL = "/admin/orders/order/batch-ship/"
P = Shop.Platform
DAY = date(2026, 12, 2)
NOON = shanghai(2026, 12, 2, 12, 0)


def parcel_of(lines, code="SF", at=NOON, number=None):
    """A parcel of `lines` ([(order line, units)]) shipped through the service, dated `at`."""
    return dated(services.ship_parcel(lines, carrier(code), number or new_number(code)), at)


def read_csv(content, encoding):
    return list(csv.reader(io.StringIO(content.decode(encoding))))


def read_xlsx(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]


def file_rows(shop, day=DAY):
    """The shop's file for `day` read back (CSV decoded by its layout's encoding, XLSX by openpyxl)."""
    content, file_format = batch_ship_file(batch_ship_parcels(shop, day, day), shop)
    if file_format == "xlsx":
        return read_xlsx(content)
    return read_csv(content, LAYOUTS[shop.platform].encoding)


@pytest.fixture
def merged_and_split():
    """Per shop platform asked: a merged parcel (orders M1 and M2, one SF number) and a split order
    S (cup, sub-order 1001, by ZTO; pen, sub-order 1002, by SF)."""

    def build(platform):
        shop = ShopFactory(platform=platform)
        m1, m2 = OrderFactory(order_no="M1", shop=shop), OrderFactory(order_no="M2", shop=shop)
        merged = parcel_of([(m1.lines.get(), 1), (m2.lines.get(), 1)], "SF", number="SF0000000000001")
        cup, pen = ItemFactory(initial_stock=5), ItemFactory(initial_stock=5)
        split = OrderFactory(order_no="S", shop=shop, lines=[(cup, 1), (pen, 2)])
        OrderLine.objects.filter(order=split, item=cup).update(sub_order_no="1001")
        OrderLine.objects.filter(order=split, item=pen).update(sub_order_no="1002")
        first = parcel_of([(split.lines.get(item=cup), 1)], "ZTO", NOON + timedelta(minutes=1), "78600000000001")
        second = parcel_of([(split.lines.get(item=pen), 2)], "SF", NOON + timedelta(minutes=2), "SF0000000000002")
        return shop, (merged, first, second)

    return build


# Each layout's exact file: the header, then the merged parcel's two rows (one number), then the
# split order's parcels. A CSV's digit-only cells carry the leading tab that keeps them text.
EXPECTED = {
    P.TAOBAO: [
        ["订单编号", "子订单编号", "物流公司", "运单号"],
        ["M1", "", "顺丰速运", "SF0000000000001"],
        ["M2", "", "顺丰速运", "SF0000000000001"],
        ["S", "\t1001", "中通快递", "\t78600000000001"],
        ["S", "\t1002", "顺丰速运", "SF0000000000002"],
    ],
    P.PINDUODUO: [
        ["订单号", "快递公司", "快递单号"],
        ["M1", "顺丰快递", "SF0000000000001"],
        ["M2", "顺丰快递", "SF0000000000001"],
        ["S", "中通快递", "78600000000001"],
        ["S", "顺丰快递", "SF0000000000002"],
    ],
    P.DOUDIAN: [
        ["主订单编号", "子订单编号", "快递公司", "快递单号"],
        ["M1", "", "顺丰速运", "SF0000000000001"],
        ["M2", "", "顺丰速运", "SF0000000000001"],
        ["S", "1001", "中通快递", "78600000000001"],
        ["S", "1002", "顺丰速运", "SF0000000000002"],
    ],
    P.JD: [
        ["订单号", "快递公司", "快递单号"],
        ["M1", "顺丰速运", "SF0000000000001"],
        ["M2", "顺丰速运", "SF0000000000001"],
        ["S", "中通快递", "78600000000001"],
        ["S", "顺丰速运", "SF0000000000002"],
    ],
    P.YOUZAN: [
        ["订单号", "物流公司", "物流单号"],
        ["M1", "顺丰速运", "SF0000000000001"],
        ["M2", "顺丰速运", "SF0000000000001"],
        ["S", "中通快递", "78600000000001"],
        ["S", "顺丰速运", "SF0000000000002"],
    ],
    P.WECHAT: [
        ["订单号", "快递公司", "快递单号"],
        ["M1", "顺丰速运", "SF0000000000001"],
        ["M2", "顺丰速运", "SF0000000000001"],
        ["S", "中通快递", "78600000000001"],
        ["S", "顺丰速运", "SF0000000000002"],
    ],
    P.ALI1688: [
        ["订单号", "物流公司", "运单号"],
        ["M1", "顺丰速运", "SF0000000000001"],
        ["M2", "顺丰速运", "SF0000000000001"],
        ["S", "中通快递", "78600000000001"],
        ["S", "顺丰速运", "SF0000000000002"],
    ],
    P.OTHER: [
        ["订单号", "快递公司", "快递单号"],
        ["M1", "顺丰速运", "SF0000000000001"],
        ["M2", "顺丰速运", "SF0000000000001"],
        ["S", "中通快递", "\t78600000000001"],
        ["S", "顺丰速运", "SF0000000000002"],
    ],
}


@pytest.mark.parametrize("platform", list(P))
def test_each_platform_file_has_a_row_per_order_of_a_merged_parcel_and_per_parcel_of_a_split_order(
    merged_and_split, platform
):
    shop, _parcels = merged_and_split(platform)
    assert file_rows(shop) == EXPECTED[platform]


def test_the_file_formats_and_encodings_are_the_platforms():
    formats = {platform: (layout.file_format, layout.encoding) for platform, layout in LAYOUTS.items()}
    assert formats[P.TAOBAO] == ("csv", "gb18030")
    assert formats[P.OTHER] == ("csv", "utf-8-sig")
    assert {formats[p][0] for p in (P.PINDUODUO, P.DOUDIAN, P.JD, P.YOUZAN, P.WECHAT, P.ALI1688)} == {"xlsx"}
    assert set(LAYOUTS) == set(P)  # every platform has a layout


def test_the_two_column_sets_shop_tools_use_keep_the_platforms_format(merged_and_split):
    shop, _parcels = merged_and_split(P.TAOBAO)
    parcels = batch_ship_parcels(shop, DAY, DAY)
    content, file_format = batch_ship_file(parcels, shop, columns="number_only")
    assert file_format == "csv" and read_csv(content, "gb18030") == [
        ["订单号", "物流单号"],
        ["M1", "SF0000000000001"],
        ["M2", "SF0000000000001"],
        ["S", "\t78600000000001"],
        ["S", "SF0000000000002"],
    ]
    content, _format = batch_ship_file(parcels, shop, "xlsx", columns="with_carrier")
    assert read_xlsx(content)[:2] == [["订单号", "快递公司", "快递单号"], ["M1", "顺丰速运", "SF0000000000001"]]


def test_a_taobao_csv_is_gb18030_without_a_bom_and_the_other_csv_utf8_with_one():
    taobao, other = ShopFactory(platform=P.TAOBAO), ShopFactory(platform=P.OTHER)
    parcel_of([(OrderFactory(shop=taobao, order_no="淘1").lines.get(), 1)])
    parcel_of([(OrderFactory(shop=other, order_no="自1").lines.get(), 1)])
    taobao_csv, _ = batch_ship_file(batch_ship_parcels(taobao, DAY, DAY), taobao)
    other_csv, _ = batch_ship_file(batch_ship_parcels(other, DAY, DAY), other)
    assert taobao_csv.startswith("订单编号".encode("gb18030")) and "淘1".encode("gb18030") in taobao_csv
    assert other_csv.startswith(b"\xef\xbb\xbf" + "订单号".encode())


def test_a_whole_order_of_several_lines_is_one_row_even_where_the_layout_takes_sub_orders():
    shop = ShopFactory(platform=P.DOUDIAN)
    order = OrderFactory(order_no="W", shop=shop)
    OrderLine.objects.create(order=order, item=ItemFactory(initial_stock=5), quantity=2, sub_order_no="2002")
    parcel_of([(line, line.quantity) for line in order.lines.all()], number="SF0000000000009")
    assert file_rows(shop)[1:] == [["W", "", "顺丰速运", "SF0000000000009"]]


def test_a_part_shipped_order_names_its_sub_order_and_falls_back_to_the_order_number():
    shop = ShopFactory(platform=P.TAOBAO)
    cup = ItemFactory(initial_stock=5)
    order = OrderFactory(order_no="P", shop=shop, lines=[(cup, 3)])
    parcel_of([(order.lines.get(), 1)], number="SF0000000000010")  # 1 of 3: the order is split
    assert file_rows(shop)[1:] == [["P", "P", "顺丰速运", "SF0000000000010"]]


def test_formula_text_in_an_order_number_is_escaped():
    shop = ShopFactory(platform=P.PINDUODUO)
    parcel_of([(OrderFactory(shop=shop, order_no="=1+1").lines.get(), 1)], number="SF0000000000011")
    assert file_rows(shop)[1][0] == "'=1+1"


def test_carriers_are_named_as_the_platform_lists_them():
    sf, ems = carrier("SF"), carrier("EMS")
    names = [platform_carrier_name(platform, sf) for platform in (P.TAOBAO, P.PINDUODUO, P.DOUDIAN)]
    assert names == ["顺丰速运", "顺丰快递", "顺丰速运"]
    assert platform_carrier_name(P.PINDUODUO, ems) == "邮政EMS"
    assert platform_carrier_name(P.JD, carrier("JD")) == "京东快递"
    # A carrier no table knows goes by its own name.
    local = Carrier.objects.create(name="同城小哥", code="LOCAL")
    assert platform_carrier_name(P.TAOBAO, local) == "同城小哥"


def test_voided_parcels_never_appear():
    shop = ShopFactory(platform=P.PINDUODUO)
    kept = parcel_of([(OrderFactory(shop=shop, order_no="KEEP").lines.get(), 1)])
    gone = parcel_of([(OrderFactory(shop=shop, order_no="GONE").lines.get(), 1)])
    services.void_parcel(gone)
    assert [row[0] for row in file_rows(shop)[1:]] == ["KEEP"]
    assert list(batch_ship_parcels(shop, DAY, DAY)) == [kept]


def test_a_reissue_parcel_is_not_sent_back_to_the_platform():
    shop = ShopFactory(platform=P.PINDUODUO)
    order = OrderFactory(shop=shop, order_no="SOLD")
    parcel_of([(order.lines.get(), 1)])
    case = after_sales.create_case(order, AfterSaleCase.Kind.REISSUE, [(order.lines.get(), 1)], reason="破损")
    dated(after_sales.ship_reissue(case, carrier("SF"), new_number("SF")), NOON)
    assert [row[0] for row in file_rows(shop)[1:]] == ["SOLD"]  # the sale's parcel only


def test_only_the_shops_orders_and_lines():
    mine, theirs = ShopFactory(platform=P.PINDUODUO), ShopFactory(platform=P.PINDUODUO)
    parcel_of([(OrderFactory(shop=mine, order_no="MINE").lines.get(), 1)])
    parcel_of([(OrderFactory(shop=theirs, order_no="THEIRS").lines.get(), 1)])
    assert [row[0] for row in file_rows(mine)[1:]] == ["MINE"]


def test_days_are_shanghai_days_and_rows_come_by_ship_time():
    shop = ShopFactory(platform=P.PINDUODUO)
    late = parcel_of([(OrderFactory(shop=shop, order_no="LATE").lines.get(), 1)], at=shanghai(2026, 12, 2, 23, 30))
    parcel_of([(OrderFactory(shop=shop, order_no="EARLY").lines.get(), 1)], at=shanghai(2026, 12, 2, 0, 5))
    parcel_of([(OrderFactory(shop=shop, order_no="NEXT").lines.get(), 1)], at=shanghai(2026, 12, 3, 0, 10))
    # 23:30 in Shanghai is 15:30 UTC: still the 2nd, whatever the UTC date says.
    assert late.shipped_at.astimezone(timezone.get_default_timezone()).date() == DAY
    assert [row[0] for row in file_rows(shop, DAY)[1:]] == ["EARLY", "LATE"]
    assert [row[0] for row in file_rows(shop, date(2026, 12, 3))[1:]] == ["NEXT"]


def test_mark_parcels_exported_is_one_update_and_skips_voided(django_assert_num_queries):
    shop = ShopFactory()
    live = parcel_of([(OrderFactory(shop=shop).lines.get(), 1)])
    voided = parcel_of([(OrderFactory(shop=shop).lines.get(), 1)])
    services.void_parcel(voided)
    with django_assert_num_queries(1):
        marked, when = services.mark_parcels_exported([live, voided.pk])
    live.refresh_from_db(), voided.refresh_from_db()
    assert marked == 1 and live.platform_exported_at == when and voided.platform_exported_at is None


# --- The page --------------------------------------------------------------------------------


@pytest.fixture
def ops_client(client, django_user_model):
    client.force_login(staff_in(django_user_model, "ops", "运营"))
    return client


def page_query(shop, day=DAY, **extra):
    return {"shop": shop.pk, "date_from": day.isoformat(), "date_to": day.isoformat(), **extra}


def download(client, shop, day=DAY, only_unexported=True, **extra):
    data = page_query(shop, day, **extra)
    if only_unexported:
        data["only_unexported"] = "on"
    return client.post(URL + "?" + "&".join(f"{k}={v}" for k, v in page_query(shop, day).items()), data)


def test_the_page_shows_the_counts_and_a_get_marks_nothing(ops_client):
    shop = ShopFactory(platform=P.PINDUODUO, name="拼店")
    parcel_of([(OrderFactory(shop=shop, order_no="A1").lines.get(), 1)])
    parcel_of([(OrderFactory(shop=shop, order_no="A2").lines.get(), 1)])
    response = ops_client.get(URL, page_query(shop, only_unexported="on"))
    assert response.status_code == 200
    assert response.context["counts"] == {"total": 2, "exported": 0, "in_file": 2}
    html = response.content.decode()
    assert "下载回传文件（2 个包裹）" in html and "A1" in html and "顺丰快递" in html
    assert not Parcel.objects.filter(platform_exported_at__isnull=False).exists()


def test_the_first_view_is_today_with_only_unexported_on(ops_client):
    shop = ShopFactory(platform=P.PINDUODUO)
    parcel_of([(OrderFactory(shop=shop).lines.get(), 1)], at=timezone.now())
    form = ops_client.get(URL).context["form"]
    today = timezone.localdate()
    assert form.cleaned_data["date_from"] == form.cleaned_data["date_to"] == today
    assert form.cleaned_data["only_unexported"] is True


def test_the_download_marks_its_parcels_and_the_next_only_has_new_ones(ops_client):
    shop = ShopFactory(platform=P.PINDUODUO, name="拼店")
    first = parcel_of([(OrderFactory(shop=shop, order_no="A1").lines.get(), 1)])
    response = download(ops_client, shop, download_token="123")
    assert response.status_code == 200
    assert read_xlsx(response.content)[1:] == [["A1", "顺丰快递", first.tracking_number]]
    first.refresh_from_db()
    assert first.platform_exported_at is not None and first.platform_exported_by.username == "ops"
    assert response.cookies["batch_ship_download"].value == "123"  # the page's script reloads on it

    # The reloaded page: the new counts, and what the download did.
    page = ops_client.get(URL, page_query(shop, only_unexported="on"))
    assert page.context["counts"] == {"total": 1, "exported": 1, "in_file": 0}
    assert "1 个包裹已标记为已回传" in page.content.decode()

    # Nothing new: no empty file, a message instead, nothing marked again.
    again = download(ops_client, shop)
    assert again.status_code == 302
    page = ops_client.get(again.url)
    assert "没有要导出的包裹" in page.content.decode()

    second = parcel_of([(OrderFactory(shop=shop, order_no="A2").lines.get(), 1)])
    assert [row[0] for row in read_xlsx(download(ops_client, shop).content)[1:]] == ["A2"]
    # Unticked, the file holds both again.
    everything = read_xlsx(download(ops_client, shop, only_unexported=False).content)
    assert [row[2] for row in everything[1:]] == [first.tracking_number, second.tracking_number]


def test_the_page_names_parcels_voided_after_they_were_exported(ops_client):
    shop = ShopFactory(platform=P.PINDUODUO)
    kept = parcel_of([(OrderFactory(shop=shop).lines.get(), 1)])
    gone = parcel_of([(OrderFactory(shop=shop).lines.get(), 1)])
    download(ops_client, shop)
    services.void_parcel(gone)
    never = parcel_of([(OrderFactory(shop=shop).lines.get(), 1)])  # voided before any file: nothing to fix
    services.void_parcel(never)
    html = ops_client.get(URL, page_query(shop, only_unexported="on")).content.decode()
    assert f"已回传的包裹后来撤销了：{gone.tracking_number}。" in html
    assert never.tracking_number not in html and kept.tracking_number not in html


def test_the_file_is_named_after_shop_platform_and_days(ops_client):
    shop = ShopFactory(platform=P.TAOBAO, name="小 店/一号")
    parcel_of([(OrderFactory(shop=shop).lines.get(), 1)])
    response = download(ops_client, shop)
    name = "发货回传_小-店-一号_淘宝-天猫_2026-12-02.csv"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(name)}"
    assert response["Content-Type"] == "text/csv; charset=gb18030"
    xlsx = download(ops_client, shop, only_unexported=False, file_format="xlsx", columns="number_only")
    assert xlsx["Content-Disposition"].endswith(quote("_2026-12-02.xlsx"))
    assert read_xlsx(xlsx.content)[0] == ["订单号", "物流单号"]


def test_bad_input_is_told_in_chinese_and_marks_nothing(ops_client):
    shop = ShopFactory()
    parcel_of([(OrderFactory(shop=shop).lines.get(), 1)])
    response = ops_client.post(URL, {"shop": shop.pk, "date_from": "2026-12-03", "date_to": "2026-12-01"})
    assert response.status_code == 200 and "开始日期不能晚于结束日期。" in response.content.decode()
    response = ops_client.get(URL, {"shop": "999999", "date_from": "x", "date_to": "2026-12-01"})
    html = response.content.decode()
    assert response.status_code == 200 and "请选择店铺。" in html and "请输入有效的日期" in html
    assert not Parcel.objects.filter(platform_exported_at__isnull=False).exists()


def test_ops_and_managers_may_others_get_403(client, django_user_model):
    shop = ShopFactory()
    parcel_of([(OrderFactory(shop=shop).lines.get(), 1)])
    clerk = django_user_model.objects.create_user("reader", password="pw-reader-123", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(clerk)
    assert client.get(URL).status_code == 403
    assert download(client, shop).status_code == 403
    assert "发货回传" not in client.get("/admin/orders/order/").content.decode()
    assert not Parcel.objects.filter(platform_exported_at__isnull=False).exists()
    for username, group in [("ops", "运营"), ("boss", "经理")]:
        client.force_login(staff_in(django_user_model, username, group))
        assert client.get(URL).status_code == 200
    # The manager finds it from the report (for the report's days), ops and managers from the order list's tools.
    report = client.get(reverse("admin:shipping_report"), {"date_from": "2026-12-01", "date_to": "2026-12-02"})
    link = f"{reverse('admin:orders_order_batch_ship')}?date_from=2026-12-01&amp;date_to=2026-12-02"
    assert link in report.content.decode()
    form = client.get(URL, {"date_from": "2026-12-01", "date_to": "2026-12-02"}).context["form"]
    assert (form.cleaned_data["date_from"], form.cleaned_data["date_to"]) == (date(2026, 12, 1), DAY)
    assert form.cleaned_data["only_unexported"] is True
    assert reverse("admin:orders_order_batch_ship") in client.get("/admin/orders/order/").content.decode()


@pytest.mark.parametrize("platform", [P.DOUDIAN, P.TAOBAO])
def test_queries_are_flat_in_parcels(ops_client, django_assert_max_num_queries, platform):
    shop = ShopFactory(platform=platform)
    item = ItemFactory(initial_stock=1000)

    def ship(count):
        orders = [OrderFactory(shop=shop, item=item) for _ in range(count)]
        parcels = services.ship_orders([(order, carrier("SF"), new_number("SF")) for order in orders])
        Parcel.objects.filter(pk__in=[p.pk for p in parcels]).update(shipped_at=NOON)

    def cost():
        with django_assert_max_num_queries(100) as page:
            assert ops_client.get(URL, page_query(shop, only_unexported="on")).status_code == 200
        with django_assert_max_num_queries(100) as post:
            assert download(ops_client, shop, only_unexported=False).status_code == 200
        return len(page.captured_queries), len(post.captured_queries)

    ship(10)
    few = cost()
    ship(190)
    assert cost() == few


def test_the_order_page_and_timeline_show_the_export(clerk_client):
    shop = ShopFactory(platform=P.PINDUODUO)
    order = OrderFactory(shop=shop)
    parcel = parcel_of([(order.lines.get(), 1)])
    services.mark_parcels_exported([parcel])
    parcel.refresh_from_db()
    shown = timezone.localtime(parcel.platform_exported_at)
    html = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert f"已回传（{shown:%m-%d %H:%M}）" in html
    titles = [entry.title for entry in order_timeline(order)]
    assert f"已回传 包裹 顺丰速运 {parcel.tracking_number}" in titles


# --- In a real spreadsheet program -------------------------------------------------------------

ORDER_NO = "202612020000000001"  # 18 digits: a number would keep 15 of them
STO_NUMBER = "773194917396313"  # 15 digits: 7.73E+14 as a number


@pytest.mark.skipif(SOFFICE is None, reason="no LibreOffice (libreoffice-calc): bash scripts/test.sh installs it")
def test_libreoffice_reads_the_numbers_as_text(tmp_path):
    """淘宝's GB18030 CSV and 拼多多's XLSX opened in LibreOffice Calc: 订单号 and 快递单号 digit for digit."""
    files = {}
    for platform, name in [(P.TAOBAO, "taobao.csv"), (P.PINDUODUO, "pdd.xlsx")]:
        shop = ShopFactory(platform=platform)
        parcel_of([(OrderFactory(shop=shop, order_no=ORDER_NO).lines.get(), 1)], "STO", number=STO_NUMBER)
        files[name] = tmp_path / name
        files[name].write_bytes(batch_ship_file(batch_ship_parcels(shop, DAY, DAY), shop)[0])
    # The CSV filter of tests/spreadsheets, with GB18030 (LibreOffice's encoding 85) for UTF-8.
    gb18030_filter = CSV_FILTER.replace(",76,", ",85,")
    [taobao] = convert_to_xlsx([files["taobao.csv"]], tmp_path / "csv", tmp_path / "profile", gb18030_filter)
    [pdd] = convert_to_xlsx([files["pdd.xlsx"]], tmp_path / "xlsx", tmp_path / "profile")
    _sheet, rows = sheet_rows(taobao)
    assert [as_text(c) for c in column(rows, "订单编号")] == [ORDER_NO]
    assert [as_text(c) for c in column(rows, "运单号")] == [STO_NUMBER]
    assert [c.value for c in column(rows, "物流公司")] == ["申通快递"]  # GB18030 decoded
    _sheet, rows = sheet_rows(pdd)
    assert [as_text(c) for c in column(rows, "订单号")] == [ORDER_NO]
    assert [as_text(c) for c in column(rows, "快递单号")] == [STO_NUMBER]
