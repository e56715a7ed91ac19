import csv
import io
from datetime import date, timedelta

import pytest

from oms.spreadsheet import BOM, escape_formula
from orders import reports, services
from orders.charts import nice_ceiling, stacked_bar_chart
from orders.filters import ShippingReportFilter
from orders.models import Order
from tests.factories import ItemFactory, OrderFactory
from tests.orders.report_data import shanghai, shipped_order

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


def report(**data):
    filterset = ShippingReportFilter(data, today=date(2026, 11, 24))
    assert filterset.is_valid(), filterset.errors
    return filterset


def order_nos(filterset):
    return [row[0] for row in reports.daily_shipping_rows(filterset.qs)]


def parse(text):
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :])))


def test_shanghai_day_boundaries():
    late = shipped_order(shanghai(2026, 11, 23, 23, 30))
    early = shipped_order(shanghai(2026, 11, 24, 0, 10))
    last = shipped_order(shanghai(2026, 11, 24, 23, 59, 59))
    shipped_order(shanghai(2026, 11, 25, 0, 0))

    assert order_nos(report(date_from="2026-11-24", date_to="2026-11-24")) == [early.order_no, last.order_no]
    assert order_nos(report(date_from="2026-11-23", date_to="2026-11-23")) == [late.order_no]


def test_default_is_today_in_shanghai_and_shipped_only():
    today = shipped_order(shanghai(2026, 11, 24, 9, 0))
    shipped_order(shanghai(2026, 11, 23, 9, 0))
    cancelled = shipped_order(shanghai(2026, 11, 24, 10, 0))
    services.cancel_order(cancelled, user=None)

    filterset = report()
    assert filterset.data["date_from"] == filterset.data["date_to"] == "2026-11-24"
    assert order_nos(filterset) == [today.order_no]
    assert order_nos(report(status="cancelled")) == [cancelled.order_no]
    assert order_nos(report(status="all")) == [today.order_no, cancelled.order_no]


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
    [row] = reports.daily_shipping_rows(report().qs, full_receiver=True)  # masked by default: test_privacy
    assert row == [
        order.order_no,
        "U123",
        "保温杯 500ml",
        "SKU-CUP",
        2,
        "李四",
        "13900001111",
        "北京市朝阳区建国路 1 号",
        "顺丰速运",
        order.tracking_number,
        "2026-11-24 08:05:09",
        "王小明",
    ]


def test_empty_day_is_bom_and_header_only():
    text = "".join(reports.shipping_report_csv(report().qs))
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


def test_csv_escapes_user_text():
    item = ItemFactory(name='=HYPERLINK("http://x")', sku="@SKU", initial_stock=5)
    shipped_order(
        shanghai(2026, 11, 24, 9, 0),
        item=item,
        customer_id="-U1",
        receiver_name="+张三",
        address="\t上海市",
        note="",
    )
    [header, row] = parse("".join(reports.shipping_report_csv(report().qs, full_receiver=True)))
    assert header == HEADERS
    assert row[1:8] == ["'-U1", '\'=HYPERLINK("http://x")', "'@SKU", "1", "'+张三", "13800138000", "'\t上海市"]


def test_csv_streams_in_chunks_across_keyset_pages():
    moment = shanghai(2026, 11, 24, 9, 0)
    orders = [shipped_order(moment) for _ in range(5)]  # identical times: the keyset needs the pk
    values = list(reports.iter_report_values(report().qs, chunk_size=2))
    assert [v["order_no"] for v in values] == [o.order_no for o in orders]


def test_carrier_summary():
    shipped_order(shanghai(2026, 11, 24, 9, 0), "SF", quantity=2)
    shipped_order(shanghai(2026, 11, 24, 9, 5), "SF")
    shipped_order(shanghai(2026, 11, 24, 9, 10), "ZTO", quantity=3)
    summary = reports.carrier_summary(report().qs)
    assert (summary.orders, summary.units) == (3, 6)
    assert [(r["carrier__name"], r["orders"], r["units"], round(r["share"], 1)) for r in summary.rows] == [
        ("顺丰速运", 2, 3, 66.7),
        ("中通快递", 1, 3, 33.3),
    ]
    assert reports.carrier_summary(report(date_from="2026-11-01", date_to="2026-11-01").qs).rows == []


def test_dashboard_figures_on_known_data(django_assert_num_queries):
    now = shanghai(2026, 11, 24, 15, 0)
    item = ItemFactory(initial_stock=100, low_stock_threshold=5)
    ItemFactory(initial_stock=3, low_stock_threshold=5)  # low
    ItemFactory(initial_stock=5, low_stock_threshold=5)  # low: at the threshold
    OrderFactory(item=item, created_at=now - timedelta(hours=49))  # overdue
    OrderFactory(item=item, created_at=now - timedelta(hours=47))
    shipped_order(shanghai(2026, 11, 24, 0, 10), "SF", item=item)  # today
    shipped_order(shanghai(2026, 11, 23, 23, 30), "SF", item=item)  # yesterday
    shipped_order(shanghai(2026, 11, 23, 12, 0), "ZTO", item=item, quantity=2)
    shipped_order(shanghai(2026, 11, 11, 12, 0), "SF", item=item)  # 13 days back: first bar
    shipped_order(shanghai(2026, 11, 10, 23, 59), "SF", item=item)  # 14 days back: outside
    services.cancel_order(shipped_order(shanghai(2026, 11, 24, 9, 0), "SF", item=item), user=None)

    with django_assert_num_queries(4):
        figures = reports.dashboard_figures(now)

    assert (figures.pending, figures.overdue, figures.shipped_today, figures.low_stock) == (2, 1, 1, 2)
    assert figures.days[0] == date(2026, 11, 11) and figures.days[-1] == date(2026, 11, 24)
    per_carrier = {code: counts for code, _name, counts in figures.shipped_per_day}
    assert per_carrier["SF"] == [1] + [0] * 11 + [1, 1]
    assert per_carrier["ZTO"] == [0] * 12 + [1, 0]


def test_overdue_orders_selects_pending_only():
    now = shanghai(2026, 11, 24, 15, 0)
    old = OrderFactory(created_at=now - timedelta(hours=50))
    shipped_order(now, created_at=now - timedelta(hours=50))
    OrderFactory(created_at=now - timedelta(hours=10))
    assert list(reports.overdue_orders(Order.objects.all(), now)) == [old]


def test_stacked_bar_chart_geometry():
    days = [date(2026, 11, 23), date(2026, 11, 24)]
    chart = stacked_bar_chart(days, [("SF", "顺丰速运", [3, 0]), ("ZTO", "中通快递", [1, 2])])
    assert [bar.title for bar in chart["bars"]] == [
        "11-23 顺丰速运：3 单",
        "11-23 中通快递：1 单",
        "11-24 中通快递：2 单",
    ]
    first, second = chart["bars"][:2]
    assert first.y + first.height == pytest.approx(chart["baseline"], abs=0.2)
    assert second.y + second.height == pytest.approx(first.y, abs=0.2)  # stacked on top
    assert [t["value"] for t in chart["y_ticks"]] == [0, 1, 2, 3, 4]
    assert [label["total"] for label in chart["x_labels"]] == [4, 2]
    assert stacked_bar_chart(days, [])["has_data"] is False


@pytest.mark.parametrize(("value", "ceiling"), [(0, 4), (1, 4), (4, 4), (5, 8), (9, 20), (37, 40), (1234, 2000)])
def test_nice_ceiling(value, ceiling):
    assert nice_ceiling(value) == ceiling


def test_rows_cost_one_query_per_chunk_plus_three_name_look_ups(clerk, django_assert_num_queries):
    item = ItemFactory(initial_stock=50)
    for _ in range(6):
        shipped_order(shanghai(2026, 11, 24, 9, 0), "SF", user=clerk, item=item)
    queryset = report().qs
    with django_assert_num_queries(4 + 3):  # chunks of 2, 2, 2 and the empty one; item, carrier, user
        rows = list(reports.iter_report_values(queryset, chunk_size=2))
    assert len(rows) == 6 and {row["item__sku"] for row in rows} == {item.sku}
