"""The 发货日报 admin page, its CSV, the shipping_report command and the dashboard."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import MANAGERS, OPS
from orders import services
from orders.reports.shipping import REPORT_HEADERS
from spreadsheets.cells import BOM
from tests.factories import ItemFactory, OrderFactory, carrier
from tests.orders.report_data import new_number, shanghai, shipped_lines, shipped_order
from tests.role_fixtures import staff_in

pytestmark = pytest.mark.django_db

URL = "/admin/orders/order/shipping-report/"


@pytest.fixture
def staff_client(django_user_model):
    """A staff user without the report permission (own Client: fixtures must not share one)."""
    client = Client()
    client.force_login(django_user_model.objects.create_user("ops", password="pw-ops-12345", is_staff=True))
    return client


@pytest.fixture
def manager_client(django_user_model):
    user = django_user_model.objects.create_user("boss", password="pw-boss-12345", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_shipping_report"))
    client = Client()
    client.force_login(user)
    return client


def download(client, **params):
    response = client.get(URL, {**params, "format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    return response, b"".join(response.streaming_content)


def test_url_name():
    assert reverse("admin:shipping_report") == URL


def test_permission(staff_client, manager_client, clerk_client):
    assert staff_client.get(URL).status_code == 403
    assert staff_client.get(URL, {"format": "csv"}).status_code == 403
    assert manager_client.get(URL).status_code == 200
    assert clerk_client.get(URL).status_code == 200  # superuser


def role_client(django_user_model, username, group):
    client = Client()
    client.force_login(staff_in(django_user_model, username, group))
    return client


def test_role_policy_ops_cannot_open_the_report_managers_can(django_user_model):
    ops = role_client(django_user_model, "ops", OPS)
    assert ops.get(URL).status_code == 403
    assert ops.get(URL, {"format": "csv"}).status_code == 403
    assert reverse("admin:shipping_report") not in ops.get("/admin/").content.decode()
    manager = role_client(django_user_model, "manager", MANAGERS)
    assert manager.get(URL).status_code == 200
    assert manager.get(URL, {"format": "csv"}).streaming


def test_anonymous_goes_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_page_shows_summary_and_rows(clerk_client):
    today = timezone.localdate()
    order = shipped_order(timezone.now(), "SF", quantity=2, receiver_name="<b>王五</b>")
    shipped_order(timezone.now(), "ZTO")
    response = clerk_client.get(URL)
    content = response.content.decode()
    assert response.status_code == 200
    assert "<title>发货日报" in content
    assert 'class="breadcrumbs"' in content
    assert "顺丰速运" in content and "中通快递" in content
    assert "包裹数" in content and "50.0%" in content and "100.0%" in content
    assert "共 2 个包裹，2 单，3 件" in content
    assert f'href="/admin/orders/order/{order.pk}/change/">{order.order_no}</a>' in content
    assert "&lt;b&gt;王五&lt;/b&gt;" in content and "<b>王五</b>" not in content
    assert f"date_from={today.isoformat()}&amp;date_to={today.isoformat()}" in content
    assert "format=csv" in content and "format=xlsx" in content and "下载 Excel" in content


def test_page_shows_a_merged_parcel_once_in_the_summary_and_each_line_in_the_rows(clerk_client):
    cup, pen = ItemFactory(sku="CUP", initial_stock=9), ItemFactory(sku="PEN", initial_stock=9)
    first, second = OrderFactory(lines=[(cup, 1), (pen, 1)]), OrderFactory(item=cup, quantity=2)
    number = new_number()
    services.ship_orders([(first, carrier("SF"), number), (second, carrier("SF"), number)])
    content = clerk_client.get(URL).content.decode()
    assert "共 1 个包裹，2 单，4 件" in content
    assert content.count(f'<td class="col-9" title="{number}">') == 3
    assert "第 1 / 1 页，共 1 个包裹" in content


def test_page_paginates_by_parcel_keeping_a_parcels_lines_together(clerk_client):
    item = ItemFactory(initial_stock=500)
    for _ in range(51):
        shipped_order(timezone.now(), item=item)
    split = OrderFactory(lines=[(item, 1), (ItemFactory(initial_stock=5), 1)])
    shipped_lines(timezone.now() + timedelta(seconds=1), [(line, 1) for line in split.lines.all()])
    first = clerk_client.get(URL).content.decode()
    second = clerk_client.get(URL, {"page": 2}).content.decode()
    assert "第 1 / 2 页，共 52 个包裹" in first
    assert "第 2 / 2 页" in second and second.count(split.order_no) == 2


def test_a_parcel_voided_later_leaves_its_days_report(clerk_client):
    order = shipped_order(timezone.now(), "SF")
    assert order.order_no in clerk_client.get(URL).content.decode()
    services.void_parcel(order.parcel)
    content = clerk_client.get(URL).content.decode()
    assert order.order_no not in content and "所选日期没有发货记录。" in content
    _, body = download(clerk_client)
    assert order.order_no.encode() not in body


def test_bad_input_is_a_message_not_a_500(clerk_client):
    response = clerk_client.get(URL, {"date_from": "2026-11-25", "date_to": "2026-11-01", "format": "csv"})
    assert response.status_code == 200 and not response.streaming
    assert "开始日期不能晚于结束日期" in response.content.decode()
    assert clerk_client.get(URL, {"date_from": "abc", "carrier": "<x>", "page": "zz"}).status_code == 200


def test_csv_download(clerk_client):
    shipped_order(shanghai(2026, 11, 23, 23, 30), "SF")
    inside = shipped_order(shanghai(2026, 11, 24, 0, 10), "SF", receiver_name="=cmd")
    shipped_order(shanghai(2026, 11, 24, 9, 0), "ZTO")
    response, body = download(clerk_client, date_from="2026-11-24", date_to="2026-11-24", carrier="SF")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == REPORT_HEADERS
    assert [(r[0], r[5], r[10]) for r in rows[1:]] == [(inside.order_no, "'=cmd", "2026-11-24 00:10:00")]


def test_csv_of_an_empty_day_is_the_header(clerk_client):
    _, body = download(clerk_client, date_from="2026-11-24", date_to="2026-11-24")
    assert body == (BOM + ",".join(REPORT_HEADERS) + "\r\n").encode("utf-8")


def test_command_output_equals_the_page_csv(clerk_client, clerk, tmp_path):
    shipped_order(shanghai(2026, 11, 23, 23, 30), "SF", user=clerk)
    shipped_order(shanghai(2026, 11, 24, 0, 10), "SF", user=clerk, address="@上海")
    shipped_order(shanghai(2026, 11, 24, 9, 0), "ZTO", user=clerk)
    shipped_order(shanghai(2026, 11, 25, 9, 0), "SF", user=clerk)
    cases = [
        ({"date_from": "2026-11-24", "date_to": "2026-11-24"}, ["--date", "2026-11-24"]),
        (
            {"date_from": "2026-11-23", "date_to": "2026-11-25", "carrier": "SF"},
            ["--from", "2026-11-23", "--to", "2026-11-25", "--carrier", "SF"],
        ),
        ({"date_from": "2026-11-20", "date_to": "2026-11-20"}, ["--date", "2026-11-20"]),
    ]
    for params, args in cases:
        _, page_csv = download(clerk_client, **params)
        out = tmp_path / "report.csv"
        # The clerk is a superuser, so the page gives full receivers; the command does with the flag.
        call_command("shipping_report", *args, "--full-receiver", "--output", str(out))
        assert out.read_bytes() == page_csv
        stdout = io.StringIO()
        call_command("shipping_report", *args, "--full-receiver", stdout=stdout)
        assert stdout.getvalue().encode("utf-8") == page_csv


def test_command_lone_dates_mean_what_they_mean_on_the_page(clerk_client):
    shipped_order(timezone.now() - timedelta(days=2))
    shipped_order(timezone.now())
    two_days_ago = (timezone.localdate() - timedelta(days=2)).isoformat()
    for params, args in [
        ({"date_from": two_days_ago}, ["--from", two_days_ago]),
        ({"date_to": two_days_ago}, ["--to", two_days_ago]),
    ]:
        _, page_csv = download(clerk_client, **params)
        stdout = io.StringIO()
        call_command("shipping_report", *args, "--full-receiver", stdout=stdout)
        assert stdout.getvalue().encode("utf-8") == page_csv
    assert page_csv.count(b"\r\n") == 2  # header + the order of two days ago


def test_command_defaults_to_yesterday():
    yesterday = timezone.localtime() - timedelta(days=1)
    order = shipped_order(yesterday)
    shipped_order(timezone.now())
    stdout = io.StringIO()
    call_command("shipping_report", stdout=stdout)
    rows = list(csv.reader(io.StringIO(stdout.getvalue().removeprefix(BOM))))
    assert [r[0] for r in rows[1:]] == [order.order_no]


@pytest.mark.parametrize(
    "args",
    [
        ["--date", "2026-13-01"],
        ["--carrier", "NOPE"],
        ["--date", "2026-11-24", "--from", "2026-11-20"],
        ["--from", "2026-11-25", "--to", "2026-11-24"],
    ],
)
def test_command_refuses_bad_arguments(args):
    with pytest.raises(CommandError):
        call_command("shipping_report", *args, stdout=io.StringIO())


def test_dashboard_on_the_index(clerk_client):
    item = ItemFactory(initial_stock=2, low_stock_threshold=5)
    OrderFactory(item=item, created_at=timezone.now() - timedelta(hours=72))
    shipped_order(timezone.now(), "SF")
    content = clerk_client.get("/admin/").content.decode()
    assert (
        "待发货" in content
        and "今日发货（包裹）" in content
        and "已超时未发货" in content
        and "今天到期" in content
        and "低库存" in content
    )
    assert "?ship_by=overdue" in content and "?low_stock=yes" in content
    assert "近 14 天每日发货包裹数" in content
    assert "<svg" in content and "顺丰速运" in content and "<script" not in content.split("<svg")[1].split("</svg>")[0]
    assert reverse("admin:shipping_report") in content


def test_dashboard_for_staff_without_the_report_permission(staff_client, django_user_model):
    user = django_user_model.objects.get(username="ops")
    user.user_permissions.add(Permission.objects.get(codename="view_order"))
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "今日发货（包裹）" in content and reverse("admin:shipping_report") not in content


def index_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/admin/").status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_query_count_is_flat_in_orders(clerk_client):
    shipped_order(timezone.now(), "SF")
    few = index_queries(clerk_client)
    assert few >= 4  # the dashboard's own four, at least
    item = ItemFactory(initial_stock=500)
    for days_back in range(14):
        for code in ("SF", "ZTO", "YTO"):
            shipped_order(timezone.now() - timedelta(days=days_back), code, item=item)
    for _ in range(10):
        OrderFactory(item=item, created_at=timezone.now() - timedelta(days=3))
    assert index_queries(clerk_client) == few


def test_order_list_links_to_the_report_and_filters_overdue(clerk_client):
    # The default shop's deadline is 48 hours after the order was placed.
    old = OrderFactory(created_at=timezone.now() - timedelta(hours=49))
    fresh = OrderFactory(created_at=timezone.now() - timedelta(hours=1))
    content = clerk_client.get("/admin/orders/order/?ship_by=overdue").content.decode()
    assert f'href="{URL}"' in content and "发货日报" in content
    assert old.order_no in content and fresh.order_no not in content
    assert "已超时" in content
