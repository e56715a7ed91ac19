"""Shops (店铺): order numbers unique per shop, what each path does with a number two shops share, ship-by deadlines."""

import re
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.desk import scan
from orders.desk.paste import preview_paste
from orders.models import Order, OrderLine, Parcel, Shop
from orders.reports.dashboard import dashboard_figures
from orders.selectors import ShipByState, default_shop, ship_by_condition, ship_by_state
from tests.factories import ItemFactory, OrderFactory, ShopFactory, carrier, sf_number
from tests.importing import csv_bytes, db_snapshot

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
LIST_URL = reverse("admin:orders_order_changelist")
IMPORT = reverse("admin:orders_order_import")
CONFIRM = reverse("admin:orders_order_process_import")


def shanghai(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def two_shops():
    """The same order number DD1 in 天猫店 and 拼多多店."""
    tmall = ShopFactory(name="天猫店", platform=Shop.Platform.TAOBAO)
    pdd = ShopFactory(name="拼多多店", platform=Shop.Platform.PINDUODUO)
    return OrderFactory(order_no="DD1", shop=tmall), OrderFactory(order_no="DD1", shop=pdd)


# --- Order numbers per shop ----------------------------------------------------------------------


def test_an_order_number_is_unique_per_shop_not_across_shops(two_shops):
    in_tmall, in_pdd = two_shops
    assert in_tmall.order_no == in_pdd.order_no and in_tmall.shop != in_pdd.shop
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderFactory(order_no="DD1", shop=in_tmall.shop)


def test_the_scan_desk_refuses_a_number_of_two_shops_naming_them(two_shops, clerk):
    result = scan.handle_scan("dd1", current=None, user=clerk)
    assert result.kind == scan.Outcome.ERROR
    assert "天猫店" in result.message and "拼多多店" in result.message
    # The desk's own links carry the shop, so a switch lands on the right one.
    assert scan.find_order("DD1", two_shops[1].shop_id) == two_shops[1]


def test_the_scan_page_shows_the_order_of_the_shop_in_its_link(two_shops, clerk_client):
    url = reverse("admin:orders_order_scan")
    html = clerk_client.get(url, {"order": "DD1", "shop": two_shops[1].shop_id}).content.decode()
    assert 'data-order-no="DD1"' in html and "无法确定" not in html
    assert "无法确定是哪一单" in clerk_client.get(url, {"order": "DD1"}).content.decode()


def test_paste_back_refuses_a_number_of_two_shops(two_shops):
    other = OrderFactory(order_no="DD2")
    lines = preview_paste(f"DD1 {sf_number(1)}\nDD2 {sf_number(2)}")
    assert "天猫店、拼多多店" in lines[0].problems[0]
    assert lines[1].ok and lines[1].order == other


def tracking_upload(client, rows, shop=""):
    content = csv_bytes([["订单号", "快递公司", "快递单号"], *rows])
    file = SimpleUploadedFile("t.csv", content, content_type="text/csv")
    return client.post(IMPORT, {"resource": "0", "format": "0", "import_file": file, "shop": shop})


def test_the_tracking_import_ships_in_the_chosen_shop_and_refuses_a_shared_number_otherwise(two_shops, clerk_client):
    in_tmall, in_pdd = two_shops
    before = db_snapshot()
    refused = tracking_upload(clerk_client, [["DD1", "顺丰", sf_number(1)]])
    assert "无法确定是哪一单" in refused.content.decode() and "confirm_form" not in refused.context
    assert db_snapshot() == before

    preview = tracking_upload(clerk_client, [["DD1", "顺丰", sf_number(1)]], shop=in_pdd.shop_id)
    assert clerk_client.post(CONFIRM, preview.context["confirm_form"].initial).status_code == 302
    in_tmall.refresh_from_db(), in_pdd.refresh_from_db()
    assert (in_tmall.status, in_pdd.status) == ("pending", "shipped")


def test_the_import_tracking_command_takes_a_shop(two_shops, tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes([["订单号", "快递公司", "快递单号"], ["DD1", "顺丰", sf_number(3)]]))
    with pytest.raises(CommandError):
        call_command("import_tracking", str(path), stdout=StringIO(), stderr=StringIO())
    assert not Parcel.objects.exists()
    call_command("import_tracking", str(path), "--shop", "天猫店", stdout=StringIO(), stderr=StringIO())
    assert Order.objects.get(shop__name="天猫店").status == "shipped"
    assert Order.objects.get(shop__name="拼多多店").status == "pending"


def order_upload(client, rows, shop=""):
    header = ["订单号", "用户ID", "SKU", "数量", "收货人", "电话", "地址"]
    file = SimpleUploadedFile("o.csv", csv_bytes([header, *rows]), content_type="text/csv")
    return client.post(IMPORT, {"resource": "1", "format": "0", "import_file": file, "shop": shop})


def test_the_order_import_creates_orders_in_the_chosen_shop(two_shops, clerk_client):
    _in_tmall, in_pdd = two_shops
    item = ItemFactory(sku="CUP-1")
    row = ["DD1", "", item.sku, "1", "李四", "13900000000", "上海市 1 号"]
    refused = order_upload(clerk_client, [row])  # several shops, none chosen
    assert "请先选择这些订单属于哪个店铺" in refused.content.decode()

    # DD1 exists in 天猫店 and 拼多多店, not in a third shop: there it is a new order.
    third = ShopFactory(name="有赞店", platform=Shop.Platform.YOUZAN, default_ship_by_hours=24)
    preview = order_upload(clerk_client, [row], shop=third.pk)
    assert clerk_client.post(CONFIRM, preview.context["confirm_form"].initial).status_code == 302
    created = Order.objects.get(shop=third)
    assert created.order_no == "DD1" and created.ship_by == created.created_at + timedelta(hours=24)

    skipped = order_upload(clerk_client, [row], shop=in_pdd.shop_id)
    assert "订单 DD1 已存在，跳过" in skipped.content.decode() and Order.objects.filter(order_no="DD1").count() == 3


def test_with_one_shop_the_order_import_needs_no_choice(clerk_client):
    item = ItemFactory(sku="CUP-2")
    preview = order_upload(clerk_client, [["N1", "", item.sku, "2", "李四", "13900000000", "上海市 1 号"]])
    assert clerk_client.post(CONFIRM, preview.context["confirm_form"].initial).status_code == 302
    assert Order.objects.get(order_no="N1").shop == default_shop()


# --- The migration ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_puts_every_old_order_in_the_default_shop_and_back():
    def migrate(target):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("orders", target)])
        return executor.loader.project_state([("orders", target)]).apps

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("orders")[0][1]
    try:
        old = migrate("0014_order_holds")
        OldOrder = old.get_model("orders", "Order")
        placed = timezone.now() - timedelta(days=3)
        for n in range(3):
            OldOrder.objects.create(
                order_no=f"OLD{n}", receiver_name="甲", receiver_phone="1", address="某地", created_at=placed
            )
        new = migrate("0017_order_no_unique_per_shop")
        NewOrder, NewShop = new.get_model("orders", "Order"), new.get_model("orders", "Shop")
        shop = NewShop.objects.get(name="默认店铺")
        assert shop.platform == "other" and shop.default_ship_by_hours == 48
        assert sorted(NewOrder.objects.values_list("order_no", "shop_id", "ship_by")) == [
            (f"OLD{n}", shop.pk, placed + timedelta(hours=48)) for n in range(3)
        ]
        old = migrate("0014_order_holds")  # reversible
        assert old.get_model("orders", "Order").objects.count() == 3
    finally:
        migrate(latest)


# --- Ship-by --------------------------------------------------------------------------------------


def test_new_orders_get_their_shops_default_ship_by_unless_they_bring_one():
    fast = ShopFactory(default_ship_by_hours=24)
    item = ItemFactory()
    placed = shanghai(2026, 11, 20, 10, 0)
    promised = shanghai(2026, 11, 20, 18, 0)
    default, own = services.create_orders(
        [
            (
                Order(
                    order_no="S1", shop=fast, receiver_name="甲", receiver_phone="1", address="某地", created_at=placed
                ),
                [OrderLine(item=item)],
            ),
            (
                Order(
                    order_no="S2",
                    shop=fast,
                    receiver_name="甲",
                    receiver_phone="1",
                    address="某地",
                    created_at=placed,
                    ship_by=promised,
                ),
                [OrderLine(item=item)],
            ),
        ]
    )
    assert (default.ship_by, own.ship_by) == (placed + timedelta(hours=24), promised)


@pytest.mark.parametrize(
    ("ship_by", "state"),
    [
        (shanghai(2026, 11, 20, 22, 59), ShipByState.OVERDUE),  # a minute ago
        (shanghai(2026, 11, 20, 23, 1), ShipByState.DUE_TODAY),
        (shanghai(2026, 11, 20, 23, 59, 59), ShipByState.DUE_TODAY),  # the Shanghai day's last second
        (shanghai(2026, 11, 21, 0, 0), ShipByState.OTHER),  # tomorrow in Shanghai (16:00 UTC today)
        (None, ShipByState.OTHER),
    ],
)
def test_ship_by_states_follow_the_shanghai_day(ship_by, state):
    now = shanghai(2026, 11, 20, 23, 0)
    order = OrderFactory(ship_by=ship_by)
    assert ship_by_state(order, now) == state
    # The list filter and the dashboard (ship_by_condition) put the order in the same place.
    assert [s for s in ShipByState if Order.objects.filter(ship_by_condition(s, now), pk=order.pk).exists()] == [state]


def test_shipped_orders_are_never_overdue():
    order = OrderFactory(ship_by=timezone.now() - timedelta(days=2))
    services.ship_order(order, carrier("SF"), sf_number(9))
    order.refresh_from_db()
    now = timezone.now()
    assert ship_by_state(order, now) == ShipByState.OTHER
    assert not Order.objects.filter(ship_by_condition(ShipByState.OVERDUE, now)).exists()
    assert dashboard_figures(now).overdue == 0


def test_the_dashboard_counts_overdue_and_due_today():
    now = timezone.now()
    OrderFactory(ship_by=now - timedelta(hours=1))
    OrderFactory(ship_by=now - timedelta(days=3))
    OrderFactory(ship_by=now + timedelta(seconds=1))  # due today unless the day ends within a second
    OrderFactory(ship_by=now + timedelta(days=2))
    figures = dashboard_figures(now)
    assert (figures.open_orders, figures.overdue, figures.due_today) == (4, 2, 1)


def test_the_list_marks_filters_and_sorts_by_ship_by(clerk_client):
    now = timezone.now()
    late = OrderFactory(order_no="LATE", ship_by=now - timedelta(hours=1))
    soon = OrderFactory(order_no="SOON", ship_by=now + timedelta(seconds=30))
    later = OrderFactory(order_no="LATER", ship_by=now + timedelta(days=3))
    html = clerk_client.get(LIST_URL).content.decode()
    assert '<span class="badge ship-by-overdue">已超时</span>' in html
    assert '<span class="badge ship-by-today">今天到期</span>' in html

    def shown(params):
        return [order.order_no for order in clerk_client.get(LIST_URL, params).context["cl"].result_list]

    assert shown({"ship_by": "overdue"}) == [late.order_no]
    assert shown({"ship_by": "today"}) == [soon.order_no]
    assert shown({"ship_by": "other"}) == [later.order_no]
    column = clerk_client.get(LIST_URL).context["cl"].list_display.index("ordered")
    assert shown({"o": str(column)}) == ["LATE", "SOON", "LATER"]  # the column sorts by the deadline
    assert shown({"o": f"-{column}"}) == ["LATER", "SOON", "LATE"]
    # The pending queue's 下单时间 / 承诺发货 header is a sort link (Django's sortable header).
    header = re.search(r'<th scope="col" class="([^"]*)column-ordered">.*?</th>', html, re.S)
    assert "sortable" in header.group(1) and f'href="?o={column}"' in header.group(0)


def test_the_dashboard_cards_link_to_the_filters(clerk_client):
    OrderFactory(ship_by=timezone.now() - timedelta(hours=1))
    html = clerk_client.get(reverse("admin:index")).content.decode()
    assert "已超时未发货" in html and "?ship_by=overdue" in html and "今天到期" in html and "?ship_by=today" in html


# --- The list and the order page ----------------------------------------------------------------


def test_the_shop_column_and_filter_appear_with_a_second_shop(clerk_client):
    OrderFactory(order_no="A1")
    one = clerk_client.get(LIST_URL)
    assert "order_no_and_shop" not in one.context["cl"].list_display and "?shop=" not in one.content.decode()
    assert one.context["cl"].list_display_links == ["order_no"]  # the number still opens the order

    pdd = ShopFactory(name="拼多多店")
    OrderFactory(order_no="P1", shop=pdd)
    two = clerk_client.get(LIST_URL)
    assert "order_no_and_shop" in two.context["cl"].list_display  # the shop under each order number
    assert two.context["cl"].list_display_links == ["order_no_and_shop"]
    assert '<span class="order-shop">拼多多店</span>' in two.content.decode()
    assert [o.order_no for o in clerk_client.get(LIST_URL, {"shop": pdd.pk}).context["cl"].result_list] == ["P1"]


def test_the_list_queries_stay_flat_with_shops(clerk_client):
    shops = [default_shop(), ShopFactory(), ShopFactory()]
    item = ItemFactory(initial_stock=100)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert clerk_client.get(LIST_URL).status_code == 200
        return len(captured)

    for n in range(3):
        OrderFactory(item=item, shop=shops[n % 3])
    few = count()
    for n in range(30):
        OrderFactory(item=item, shop=shops[n % 3])
    assert count() == few


def test_the_shop_is_edited_only_while_the_order_is_pending(clerk_client):
    other = ShopFactory(name="京东店", platform=Shop.Platform.JD)
    order = OrderFactory()
    page = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert "shop" in page.context["adminform"].form.fields
    services.ship_order(order, carrier("SF"), sf_number(5))
    page = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert "shop" not in page.context["adminform"].form.fields and other.name not in page.content.decode()


def test_the_order_import_takes_a_ship_by_column_in_shanghai_time(clerk_client):
    item = ItemFactory(sku="CUP-3")
    header = ["订单号", "用户ID", "SKU", "数量", "收货人", "电话", "地址", "承诺发货时间"]
    rows = [
        ["B1", "", item.sku, "1", "李四", "13900000000", "上海市 1 号", "2026/11/25 18:00"],
        ["B2", "", item.sku, "1", "李四", "13900000000", "上海市 1 号", ""],  # the shop's default
    ]
    file = SimpleUploadedFile("o.csv", csv_bytes([header, *rows]), content_type="text/csv")
    preview = clerk_client.post(IMPORT, {"resource": "1", "format": "0", "import_file": file})
    assert clerk_client.post(CONFIRM, preview.context["confirm_form"].initial).status_code == 302
    promised, default = Order.objects.get(order_no="B1"), Order.objects.get(order_no="B2")
    assert promised.ship_by == shanghai(2026, 11, 25, 18, 0)
    assert default.ship_by == default.created_at + timedelta(hours=48)

    bad = [["B3", "", item.sku, "1", "李四", "13900000000", "上海市 1 号", "明天"]]
    file = SimpleUploadedFile("o.csv", csv_bytes([header, *bad]), content_type="text/csv")
    refused = clerk_client.post(IMPORT, {"resource": "1", "format": "0", "import_file": file})
    assert "承诺发货时间“明天”无法识别" in refused.content.decode() and "confirm_form" not in refused.context


@pytest.mark.parametrize(
    "text, problem",
    [
        ("明天", "无法识别"),
        ("2026-13-01", "无法识别"),
        ("0001-01-01 00:00", "早于 2000 年"),
        ("9999-12-31 23:59", "晚于 2100 年"),
    ],
)
def test_a_ship_by_cell_that_is_no_time_is_a_chinese_problem(text, problem):
    from spreadsheets.resources import date_time

    with pytest.raises(ValidationError) as refused:
        date_time(text, "承诺发货时间", future=True)
    assert refused.value.messages[0].startswith(f"承诺发货时间“{text}”{problem}")


def test_a_ship_by_cell_may_be_in_the_future_an_order_time_may_not():
    from spreadsheets.resources import date_time

    assert date_time("2030-01-02 10:00", "承诺发货时间", future=True).year == 2030
    with pytest.raises(ValidationError):
        date_time("2030-01-02 10:00", "下单时间")


def test_both_roles_may_view_shops_and_only_view():
    from accounts.roles import MANAGERS, OPS, setup_roles

    granted, _skipped = setup_roles()
    for role in (OPS, MANAGERS):
        assert [p for p in granted[role] if p.endswith("_shop")] == ["orders.view_shop"]


def test_with_several_shops_the_add_page_makes_the_clerk_choose(clerk_client):
    page = clerk_client.get(reverse("admin:orders_order_add"))
    assert page.context["adminform"].form.initial["shop"] == default_shop()
    ShopFactory()
    page = clerk_client.get(reverse("admin:orders_order_add"))
    assert page.context["adminform"].form.initial["shop"] is None
