"""The 发货日报's rows and summary, the order export's rows, the dashboard figures and the chart."""

import csv
import io
import itertools
from datetime import date, datetime, timedelta

import pytest

from orders import services
from orders.models import Order
from orders.reports import dashboard, shipping
from orders.reports.charts import nice_ceiling, stacked_bar_chart
from orders.reports.exports import EXPORT_HEADERS, order_export_rows
from orders.reports.shipping import ShippingReportFilter
from spreadsheets.cells import BOM, csv_cell, escape_formula
from tests.factories import ItemFactory, OrderFactory, ShopFactory, carrier
from tests.orders.report_data import dated, new_number, shanghai, shipped_lines, shipped_order

pytestmark = pytest.mark.django_db

HEADERS = [
    "订单号",
    "用户ID",
    "产品名",
    "SKU",
    "数量",
    "收货人",
    "电话",
    "地址",
    "快递公司",
    "快递单号",
    "发货时间",
    "操作人",
]
TODAY = date(2026, 11, 24)


def report(**data):
    filterset = ShippingReportFilter(data, today=TODAY)
    assert filterset.is_valid(), filterset.errors
    return filterset


def rows(filterset, **kwargs):
    return list(shipping.daily_shipping_rows(filterset.qs, **kwargs))


def order_nos(filterset):
    return [row[0] for row in rows(filterset)]


def parse(text):
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :])))


def summary_rows(summary):
    return [(r["carrier__name"], r["parcels"], r["orders"], r["units"], round(r["share"], 1)) for r in summary.rows]


def test_shanghai_day_boundaries():
    late = shipped_order(shanghai(2026, 11, 23, 23, 30))
    early = shipped_order(shanghai(2026, 11, 24, 0, 10))
    last = shipped_order(shanghai(2026, 11, 24, 23, 59, 59))
    shipped_order(shanghai(2026, 11, 25, 0, 0))

    assert order_nos(report(date_from="2026-11-24", date_to="2026-11-24")) == [early.order_no, last.order_no]
    assert order_nos(report(date_from="2026-11-23", date_to="2026-11-23")) == [late.order_no]


def test_default_is_today_in_shanghai():
    today = shipped_order(shanghai(2026, 11, 24, 9, 0))
    shipped_order(shanghai(2026, 11, 23, 9, 0))
    OrderFactory()  # pending: nothing shipped

    filterset = report()
    assert filterset.data["date_from"] == filterset.data["date_to"] == "2026-11-24"
    assert order_nos(filterset) == [today.order_no]


def test_lone_dates():
    monday = shipped_order(shanghai(2026, 11, 23, 9, 0))
    tuesday = shipped_order(shanghai(2026, 11, 24, 9, 0))
    assert order_nos(report(date_from="2026-11-23")) == [monday.order_no, tuesday.order_no]
    assert order_nos(report(date_to="2026-11-23")) == [monday.order_no]


def test_bad_filters_are_form_errors():
    filterset = ShippingReportFilter({"date_from": "2026-11-25", "date_to": "2026-11-24"})
    assert not filterset.is_valid()
    assert "开始日期不能晚于结束日期。" in filterset.form.errors["__all__"]
    assert not ShippingReportFilter({"date_from": "昨天"}).is_valid()
    assert not ShippingReportFilter({"carrier": "NOPE"}).is_valid()


def test_carrier_filter():
    sf = shipped_order(shanghai(2026, 11, 24, 9, 0), "SF")
    shipped_order(shanghai(2026, 11, 24, 10, 0), "ZTO")
    assert order_nos(report(carrier="SF")) == [sf.order_no]


def test_row_cells_in_header_order(clerk):
    clerk.last_name, clerk.first_name = "王", "小明"
    clerk.save()
    item = ItemFactory(sku="SKU-CUP", name="保温杯 500ml", initial_stock=10)
    order = shipped_order(
        shanghai(2026, 11, 24, 8, 5, 9),
        "SF",
        user=clerk,
        item=item,
        quantity=2,
        customer_id="U123",
        receiver_name="李四",
        receiver_phone="13900001111",
        address="北京市朝阳区建国路 1 号",
    )
    assert rows(report(), full_receiver=True) == [
        [
            order.order_no,
            "U123",
            "保温杯 500ml",
            "SKU-CUP",
            2,
            "李四",
            "13900001111",
            "北京市朝阳区建国路 1 号",
            "顺丰速运",
            order.parcel.tracking_number,
            datetime(2026, 11, 24, 8, 5, 9),  # Shanghai wall-clock time: a date cell in the XLSX
            "王小明",
        ]
    ]


def test_receivers_are_masked_unless_full():
    shipped_order(shanghai(2026, 11, 24, 9, 0), receiver_phone="13912345678", address="广东省深圳市南山区科技园路 8 号")
    [masked] = rows(report())
    [full] = rows(report(), full_receiver=True)
    assert masked[6:8] == ["139****5678", "广东省深圳市南山区****"]
    assert full[6:8] == ["13912345678", "广东省深圳市南山区科技园路 8 号"]


def test_a_split_order_appears_on_the_day_of_each_parcel():
    cup, pen = ItemFactory(sku="CUP", initial_stock=10), ItemFactory(sku="PEN", initial_stock=10)
    order = OrderFactory(lines=[(cup, 3), (pen, 1)])
    cup_line, pen_line = order.lines.order_by("pk")
    first = shipped_lines(shanghai(2026, 11, 23, 10, 0), [(cup_line, 2)])
    second = shipped_lines(shanghai(2026, 11, 24, 10, 0), [(cup_line, 1), (pen_line, 1)], code="ZTO")

    monday = rows(report(date_from="2026-11-23", date_to="2026-11-23"))
    tuesday = rows(report())
    assert [(r[0], r[3], r[4], r[9]) for r in monday] == [(order.order_no, "CUP", 2, first.tracking_number)]
    assert [(r[0], r[3], r[4], r[9]) for r in tuesday] == [
        (order.order_no, "CUP", 1, second.tracking_number),
        (order.order_no, "PEN", 1, second.tracking_number),
    ]
    both = shipping.carrier_summary(report(date_from="2026-11-23").qs)
    # The order counts once per carrier, and once in the total.
    assert summary_rows(both) == [("顺丰速运", 1, 1, 2, 50.0), ("中通快递", 1, 1, 2, 50.0)]
    assert (both.parcels, both.orders, both.units) == (2, 1, 4)


def test_a_merged_parcel_is_a_row_per_line_and_one_parcel_in_the_summary():
    cup, pen = ItemFactory(sku="CUP", initial_stock=10), ItemFactory(sku="PEN", initial_stock=10)
    first = OrderFactory(lines=[(cup, 1), (pen, 2)])
    second = OrderFactory(item=cup, quantity=1)
    number = new_number()
    [parcel, same] = services.ship_orders([(first, carrier("SF"), number), (second, carrier("SF"), number)], user=None)
    assert parcel.pk == same.pk
    dated(parcel, shanghai(2026, 11, 24, 9, 0))

    assert [(r[0], r[3], r[4], r[9]) for r in rows(report())] == [
        (first.order_no, "CUP", 1, number),
        (first.order_no, "PEN", 2, number),
        (second.order_no, "CUP", 1, number),
    ]
    summary = shipping.carrier_summary(report().qs)
    assert summary_rows(summary) == [("顺丰速运", 1, 2, 4, 100.0)]
    assert (summary.parcels, summary.orders, summary.units) == (1, 2, 4)


def test_a_voided_parcel_is_not_in_the_report():
    order = shipped_order(shanghai(2026, 11, 24, 9, 0))
    services.void_parcel(order.parcel, user=None)
    assert rows(report()) == []
    summary = shipping.carrier_summary(report().qs)
    assert (summary.rows, summary.parcels, summary.orders, summary.units) == ([], 0, 0, 0)

    again = dated(services.ship_order(order, carrier("ZTO"), new_number("ZTO")), shanghai(2026, 11, 24, 11, 0))
    assert [(r[0], r[8], r[9]) for r in rows(report())] == [(order.order_no, "中通快递", again.tracking_number)]


def test_empty_day_is_bom_and_header_only():
    text = "".join(shipping.shipping_report_csv(report().qs))
    assert text == BOM + ",".join(HEADERS) + "\r\n"
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("=1+2", "'=1+2"),
        ("+86 138", "'+86 138"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("张三", "张三"),
        ("a=b", "a=b"),
        (3, 3),
        ("", ""),
    ],
)
def test_escape_formula(value, escaped):
    assert escape_formula(value) == escaped


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("730012345678901", "\t730012345678901"),  # 15 digits: 7.30012E+14 in Excel
        ("13800138000", "\t13800138000"),
        ("007", "\t007"),
        ("12E34", "\t12E34"),
        ("3-4", "\t3-4"),  # a date to Excel
        ("SF1234567890123", "SF1234567890123"),
        ("138****8000", "138****8000"),
        ("1号楼", "1号楼"),
        ("-12", "'-12"),  # the formula escape comes first (rule 7)
        (datetime(2026, 11, 24, 8, 5, 9, 120), "2026-11-24 08:05:09"),
        (3, 3),
        (None, ""),
    ],
)
def test_csv_cells_keep_identifiers_as_text(value, cell):
    assert csv_cell(value) == cell


def test_csv_escapes_user_text():
    item = ItemFactory(name='=HYPERLINK("http://x")', sku="@SKU", initial_stock=5)
    shipped_order(shanghai(2026, 11, 24, 9, 0), item=item, customer_id="-U1", receiver_name="+张三", address="\t上海市")
    [header, row] = parse("".join(shipping.shipping_report_csv(report().qs, full_receiver=True)))
    assert header == HEADERS
    assert row[1:8] == ["'-U1", '\'=HYPERLINK("http://x")', "'@SKU", "1", "'+张三", "\t13800138000", "'\t上海市"]


def test_csv_streams_in_keyset_chunks_of_parcels():
    orders = [OrderFactory() for _ in range(5)]
    number = iter(new_number() for _ in orders)
    # One batch: five parcels with the very same shipped_at, so the keyset needs the pk.
    parcels = services.ship_orders([(order, carrier("SF"), next(number)) for order in orders])
    assert len({parcel.shipped_at for parcel in parcels}) == 1
    chunks = list(shipping.parcel_chunks(shipping.shipped_parcels(), chunk_size=2))
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]
    assert [p["pk"] for chunk in chunks for p in chunk] == sorted(parcel.pk for parcel in parcels)
    assert [r[0] for r in shipping.daily_shipping_rows(shipping.shipped_parcels(), chunk_size=2)] == [
        o.order_no for o in orders
    ]


def test_rows_follow_the_ship_time_not_the_parcel_id_across_chunks():
    # Parcels written in one order and handed over in another (e.g. a clerk's times corrected).
    late = shipped_order(shanghai(2026, 11, 24, 18, 0))
    early = shipped_order(shanghai(2026, 11, 24, 8, 0))
    middle = shipped_order(shanghai(2026, 11, 24, 12, 0))
    expected = [early.order_no, middle.order_no, late.order_no]
    for chunk_size in (1, 2, 3, 10):
        assert [r[0] for r in shipping.daily_shipping_rows(report().qs, chunk_size=chunk_size)] == expected


def test_rows_cost_two_queries_per_chunk_plus_three_name_look_ups(clerk, django_assert_num_queries):
    cup, pen = ItemFactory(initial_stock=50), ItemFactory(initial_stock=50)
    for _ in range(6):
        shipped_order(shanghai(2026, 11, 24, 9, 0), "SF", user=clerk, lines=[(cup, 1), (pen, 1)])
    queryset = report().qs
    # Parcels in chunks of 2, 2, 2 and the empty one; lines (with orders) per chunk; item, carrier, user once.
    with django_assert_num_queries(4 + 3 + 3):
        result = list(shipping.daily_shipping_rows(queryset, chunk_size=2))
    assert len(result) == 12 and {row[3] for row in result} == {cup.sku, pen.sku}


def test_carrier_summary():
    shipped_order(shanghai(2026, 11, 24, 9, 0), "SF", quantity=2)
    shipped_order(shanghai(2026, 11, 24, 9, 5), "SF")
    shipped_order(shanghai(2026, 11, 24, 9, 10), "ZTO", quantity=3)
    summary = shipping.carrier_summary(report().qs)
    assert (summary.parcels, summary.orders, summary.units) == (3, 3, 6)
    assert summary_rows(summary) == [("顺丰速运", 2, 2, 3, 66.7), ("中通快递", 1, 1, 3, 33.3)]
    assert shipping.carrier_summary(report(date_from="2026-11-01", date_to="2026-11-01").qs).rows == []


# --- The order export's rows -------------------------------------------------------------------


def export(orders=None, **kwargs):
    return list(order_export_rows(Order.objects.order_by("pk") if orders is None else orders, **kwargs))


def test_export_is_a_row_per_order_line_with_its_live_parcels():
    cup, pen = ItemFactory(sku="CUP", name="杯子", initial_stock=10), ItemFactory(sku="PEN", initial_stock=10)
    order = OrderFactory(lines=[(cup, 3), (pen, 1)], customer_id="U9", created_at=shanghai(2026, 11, 20, 8, 0))
    cup_line = order.lines.get(item=cup)
    first = shipped_lines(shanghai(2026, 11, 23, 10, 0), [(cup_line, 1)])
    voided = shipped_lines(shanghai(2026, 11, 23, 11, 0), [(cup_line, 1)])
    services.void_parcel(voided)
    second = shipped_lines(shanghai(2026, 11, 24, 10, 0), [(cup_line, 1)], code="ZTO")

    assert export(full_receiver=True) == [
        [
            order.order_no,
            "U9",
            "杯子",
            "CUP",
            3,
            2,
            "张三",
            "13800138000",
            "上海市浦东新区张杨路 100 号",
            "部分发货",
            "顺丰速运、中通快递",
            f"{first.tracking_number}、{second.tracking_number}",
            datetime(2026, 11, 20, 8, 0),
            "",
            "默认店铺",
        ],
        [
            order.order_no,
            "U9",
            pen.name,
            "PEN",
            1,
            0,
            "张三",
            "13800138000",
            "上海市浦东新区张杨路 100 号",
            "部分发货",
            "",
            "",
            datetime(2026, 11, 20, 8, 0),
            "",
            "默认店铺",
        ],
    ]
    assert len(EXPORT_HEADERS) == len(export()[0])


def test_export_names_each_orders_shop():
    north, south = ShopFactory(name="北店"), ShopFactory(name="南店")
    OrderFactory(order_no="N1", shop=north)
    OrderFactory(order_no="S1", shop=south)
    assert EXPORT_HEADERS[-1] == "店铺"
    assert [(row[0], row[-1]) for row in export()] == [("N1", "北店"), ("S1", "南店")]


def test_export_masks_receivers_unless_full():
    OrderFactory(receiver_phone="13912345678", address="广东省深圳市南山区科技园路 8 号")
    assert export()[0][7:9] == ["139****5678", "广东省深圳市南山区****"]
    assert export(full_receiver=True)[0][7:9] == ["13912345678", "广东省深圳市南山区科技园路 8 号"]


def test_export_keeps_the_querysets_order_across_chunks(django_assert_num_queries):
    item = ItemFactory(initial_stock=50)
    orders = [OrderFactory(item=item) for _ in range(5)]
    services.ship_order(orders[1], carrier("SF"), new_number())
    newest_first = Order.objects.order_by("-pk")
    # Orders in one read; per chunk of 2: lines, live parcel lines; the item, the carrier and the shop once.
    with django_assert_num_queries(1 + 3 * 2 + 3):
        result = export(newest_first, chunk_size=2)
    assert [r[0] for r in result] == [o.order_no for o in reversed(orders)]
    assert [r[5] for r in result] == [0, 0, 0, 1, 0]


# --- The dashboard -----------------------------------------------------------------------------


def test_dashboard_figures_on_known_data(django_assert_num_queries):
    now = shanghai(2026, 11, 24, 15, 0)
    item = ItemFactory(initial_stock=100, low_stock_threshold=5)
    ItemFactory(initial_stock=3, low_stock_threshold=5)  # low
    ItemFactory(initial_stock=5, low_stock_threshold=5)  # low: at the threshold
    OrderFactory(item=item, created_at=now - timedelta(hours=49))  # overdue
    OrderFactory(item=item, created_at=now - timedelta(hours=47))
    partial = OrderFactory(item=item, quantity=2, created_at=now - timedelta(hours=50))  # open and overdue
    shipped_lines(shanghai(2026, 11, 24, 0, 5), [(partial.lines.get(), 1)])  # today
    shipped_order(shanghai(2026, 11, 24, 0, 10), "SF", item=item)  # today
    shipped_order(shanghai(2026, 11, 23, 23, 30), "SF", item=item)  # yesterday
    shipped_order(shanghai(2026, 11, 23, 12, 0), "ZTO", item=item, quantity=2)
    shipped_order(shanghai(2026, 11, 11, 12, 0), "SF", item=item)  # 13 days back: first bar
    shipped_order(shanghai(2026, 11, 10, 23, 59), "SF", item=item)  # 14 days back: outside
    services.void_parcel(shipped_order(shanghai(2026, 11, 24, 9, 0), "SF", item=item).parcel)  # not shipped now
    cancelled = OrderFactory(item=item, created_at=now - timedelta(days=5))
    services.cancel_order(cancelled)

    with django_assert_num_queries(4):
        figures = dashboard.dashboard_figures(now)

    # Open: the two pending, the partial one, and the voided one (pending again).
    assert (figures.open_orders, figures.overdue, figures.parcels_today, figures.low_stock) == (4, 2, 2, 2)
    assert figures.days[0] == date(2026, 11, 11) and figures.days[-1] == date(2026, 11, 24)
    per_carrier = {code: counts for code, _name, counts in figures.parcels_per_day}
    assert [code for code, _name, _counts in figures.parcels_per_day] == ["SF", "ZTO"]  # the carriers' order
    assert per_carrier["SF"] == [1] + [0] * 11 + [1, 2]
    assert per_carrier["ZTO"] == [0] * 12 + [1, 0]


def test_a_merged_parcel_is_one_bar_unit():
    number = new_number()
    first, second = OrderFactory(), OrderFactory()
    [parcel, _same] = services.ship_orders([(first, carrier("SF"), number), (second, carrier("SF"), number)])
    dated(parcel, shanghai(2026, 11, 24, 9, 0))
    figures = dashboard.dashboard_figures(shanghai(2026, 11, 24, 15, 0))
    assert figures.parcels_today == 1 and figures.parcels_per_day == [("SF", "顺丰速运", [0] * 13 + [1])]


def test_overdue_orders_are_open_orders_past_their_ship_by():
    # Factory orders are due the default shop's 48 hours after they were placed.
    now = shanghai(2026, 11, 24, 15, 0)
    old = OrderFactory(created_at=now - timedelta(hours=50))
    half = OrderFactory(quantity=2, created_at=now - timedelta(hours=50))
    shipped_lines(now, [(half.lines.get(), 1)])
    shipped_order(now, created_at=now - timedelta(hours=50))
    services.cancel_order(OrderFactory(created_at=now - timedelta(hours=50)))
    OrderFactory(created_at=now - timedelta(hours=10))
    assert list(dashboard.overdue_orders(Order.objects.order_by("pk"), now)) == [old, half]


def test_stacked_bar_chart_geometry():
    days = [date(2026, 11, 23), date(2026, 11, 24)]
    chart = stacked_bar_chart(days, [("SF", "顺丰速运", [3, 0]), ("ZTO", "中通快递", [1, 2])])
    assert [bar.title for bar in chart["bars"]] == [
        "11-23 顺丰速运：3 个包裹",
        "11-23 中通快递：1 个包裹",
        "11-24 中通快递：2 个包裹",
    ]
    first, second = chart["bars"][:2]
    assert first.y + first.height == pytest.approx(chart["baseline"], abs=0.2)
    assert second.y + second.height == pytest.approx(first.y, abs=0.2)  # stacked on top
    assert [t["value"] for t in chart["y_ticks"]] == [0, 1, 2, 3, 4]
    assert [label["total"] for label in chart["x_labels"]] == [4, 2]
    assert stacked_bar_chart(days, [])["has_data"] is False


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 4), (1, 4), (4, 4), (5, 5), (9, 10), (11, 12), (37, 40), (42, 50), (51, 60), (81, 100), (1234, 1250)],
)
def test_the_y_axis_ends_near_the_maximum(value, ceiling):
    assert nice_ceiling(value) == ceiling


@pytest.mark.parametrize("value", [5, 9, 42, 73, 99, 1234, 98765])
def test_the_y_axis_ends_within_a_quarter_above_the_maximum_in_round_steps(value):
    chart = stacked_bar_chart([date(2026, 11, 23)], [("SF", "顺丰速运", [value])])
    ticks = [t["value"] for t in chart["y_ticks"]]
    assert value <= ticks[-1] <= value * 1.25 + 4
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 and 4 <= len(ticks) <= 7


def test_the_home_chart_axis_ends_at_50_for_42_parcels_in_a_day(clerk_client, clerk):
    import re

    from tests.factories import sf_number

    item = ItemFactory(initial_stock=100)
    services.ship_orders([(OrderFactory(item=item), carrier("SF"), sf_number(n)) for n in range(42)], user=clerk)
    html = clerk_client.get("/admin/").content.decode()
    ticks = [int(v) for v in re.findall(r'dominant-baseline="middle" fill="#666">(\d+)</text>', html)]
    assert ticks == [0, 10, 20, 30, 40, 50]
