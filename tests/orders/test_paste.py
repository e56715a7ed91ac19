import pytest
from django.urls import reverse

from orders import paste, services
from orders.models import Carrier, Order
from orders.paste import apply_paste, parse_pasted_text, preview_paste, split_cells
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

KNOWN = {"DD0001", "DD0002", "DD0003"}


@pytest.fixture
def carriers(db):
    return list(Carrier.objects.filter(is_active=True))


def parse(text, carriers, known=KNOWN):
    return parse_pasted_text(text, known, carriers)


def test_split_cells_handles_every_separator_and_full_width_text():
    assert split_cells("ＤＤ０００１\tＳＦ１２３４５６７８９０１２３") == ["DD0001", "SF1234567890123"]
    assert split_cells("DD0001，SF1234567890123；顺丰") == ["DD0001", "SF1234567890123", "顺丰"]
    assert split_cells('"DD0001","SF1234567890123"') == ["DD0001", "SF1234567890123"]
    assert split_cells("DD0001\u3000 | SF1234567890123") == ["DD0001", "SF1234567890123"]
    assert split_cells("   ") == []


def test_messy_paste_finds_every_line(carriers):
    text = (
        "订单号\t收货人\t快递单号\n"  # header
        "\n"
        "DD0001\t张三\tSF1234567890123\t2\n"  # tabs + extra columns
        "  DD0002 , 李四 , 771234567890123  \n"  # commas and blanks, STO
        "ＤＤ０００３　ＹＴ１２３４５６７８９０１２３\n"  # full width
        "\n"
    )
    lines = parse(text, carriers)
    assert [line.line_no for line in lines] == [1, 3, 4, 5]
    assert lines[0].header and lines[0].ok and not lines[0].ships
    got = [(ln.order_no, ln.carrier.code, ln.tracking_number) for ln in lines[1:]]
    assert got == [
        ("DD0001", "SF", "SF1234567890123"),
        ("DD0002", "STO", "771234567890123"),
        ("DD0003", "YTO", "YT1234567890123"),
    ]
    assert all(line.ok for line in lines)


def test_lower_cased_order_numbers_are_found(carriers):
    (line,) = parse("dd0001 sf1234567890123", carriers)
    assert (line.order_no, line.tracking_number) == ("DD0001", "SF1234567890123")


def test_the_same_order_twice_with_the_same_number_is_done_once(carriers):
    lines = parse("DD0001 SF1234567890123\nDD0001 sf1234567890123", carriers)
    assert lines[1].ok and lines[1].duplicate_of == 1
    assert "与第 1 行重复" in lines[1].notes[0]


def test_the_same_order_twice_with_different_numbers_is_a_problem(carriers):
    lines = parse("DD0001 SF1234567890123\nDD0001 SF1234567890999", carriers)
    assert lines[0].ok
    assert "第 1 行已出现" in lines[1].problems[0]


def test_lines_without_an_order_or_a_number_are_problems(carriers):
    lines = parse("XX9999 SF1234567890123\nDD0001 张三 13800138000\nDD0002 SF1234567890123 771234567890123", carriers)
    assert "没有找到已存在的订单号" in lines[0].problems[0]
    assert "没有找到能识别快递公司的快递单号" in lines[1].problems[0]  # a phone number is not a tracking number
    assert "一行中有多个快递单号" in lines[2].problems[0]


def test_a_named_carrier_column_decides_even_without_a_pattern(carriers):
    lines = parse("DD0001 韵达 4312345678901\nDD0002 YD 4312345678902\nDD0003 顺丰 4312345678903", carriers)
    assert [(ln.carrier and ln.carrier.code, ln.tracking_number) for ln in lines[:2]] == [
        ("YD", "4312345678901"),
        ("YD", "4312345678902"),
    ]
    assert "符合顺丰速运单号格式" in lines[2].problems[0]


def test_parsing_reads_no_database(carriers, django_assert_num_queries):
    with django_assert_num_queries(0):
        parse("DD0001 SF1234567890123\n" * 100, carriers)


# ---- preview and apply against the database


@pytest.mark.django_db
def test_preview_then_apply_ships_every_line(clerk, ledger_is_consistent):
    a, b = OrderFactory(order_no="P001"), OrderFactory(order_no="P002", receiver_name="李四")
    text = f"订单号,单号\nP001,{sf_number(1)}\nP002,{sf_number(2)}\n"
    lines = preview_paste(text)
    assert [line.ships for line in lines] == [False, True, True]
    lines, shipped = apply_paste(text, user=clerk)
    assert shipped == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.tracking_number, a.shipped_by) == ("shipped", sf_number(1), clerk)
    assert b.carrier.code == "SF"
    ledger_is_consistent()


@pytest.mark.django_db
def test_one_bad_line_means_nothing_is_applied(clerk, ledger_is_consistent):
    OrderFactory(order_no="Q001")
    short = OrderFactory(order_no="Q002", item=ItemFactory(initial_stock=1), quantity=5)
    lines, shipped = apply_paste(f"Q001 {sf_number(1)}\nQ002 {sf_number(2)}", user=clerk)
    assert shipped == 0
    assert "库存不足" in lines[1].problems[0]
    assert set(Order.objects.values_list("status", flat=True)) == {"pending"}
    assert short.item.movements.count() == 1  # only the receipt
    ledger_is_consistent()


@pytest.mark.django_db
def test_stock_counts_earlier_lines_of_the_batch(clerk):
    item = ItemFactory(initial_stock=3)
    OrderFactory(order_no="R001", item=item, quantity=2)
    OrderFactory(order_no="R002", item=item, quantity=2, receiver_name="李四")
    lines = preview_paste(f"R001 {sf_number(1)}\nR002 {sf_number(2)}")
    assert lines[0].ok
    assert "前面的订单已占用 2 件" in lines[1].problems[0]


@pytest.mark.django_db
def test_duplicate_numbers_in_preview(clerk):
    shipped = OrderFactory(order_no="S001")
    apply_paste(f"S001 {sf_number(1)}", user=clerk)
    OrderFactory(order_no="S002", receiver_name="李四")
    OrderFactory(order_no="S003")  # same receiver as S001
    OrderFactory(order_no="S004", receiver_name="王五")
    OrderFactory(order_no="S005", receiver_name="赵六")
    lines = preview_paste(f"S002 {sf_number(1)}\nS003 {sf_number(1)}\nS004 {sf_number(9)}\nS005 {sf_number(9)}")
    assert "已用于订单 S001" in lines[0].problems[0]
    assert lines[1].ok and "合并发货" in lines[1].notes[0]
    assert lines[2].ok
    assert "已用于本批的订单 S004" in lines[3].problems[0]
    shipped.refresh_from_db()
    assert shipped.status == "shipped"


@pytest.mark.django_db
def test_already_shipped_with_the_same_number_is_skipped_and_other_statuses_refused(clerk):
    OrderFactory(order_no="U001")
    apply_paste(f"U001 {sf_number(1)}", user=clerk)
    cancelled = OrderFactory(order_no="U002")
    cancelled.status = "cancelled"
    cancelled.save()
    lines = preview_paste(f"U001 {sf_number(1)}\nU001x\nU002 {sf_number(2)}")
    assert lines[0].ok and not lines[0].ships and "已发货（单号相同）" in lines[0].notes[0]
    assert "已取消" in lines[2].problems[0]
    lines = preview_paste(f"U001 {sf_number(3)}")
    assert "请先在订单页撤销发货" in lines[0].problems[0]


@pytest.mark.django_db
def test_preview_query_count_is_flat(django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count):
        orders = [OrderFactory(receiver_name=f"收货人{count}-{i}") for i in range(count)]
        text = "\n".join(f"{o.order_no} {sf_number(count * 100 + i)}" for i, o in enumerate(orders))
        with CaptureQueriesContext(connection) as captured:
            lines = preview_paste(text)
        assert all(line.ships for line in lines)
        return len(captured.captured_queries)

    assert queries_for(3) == queries_for(30)


@pytest.mark.django_db
def test_paste_page_preview_and_confirm(clerk_client, ledger_is_consistent):
    OrderFactory(order_no="W001")
    url = reverse("admin:orders_order_paste")
    assert "批量回填" in clerk_client.get(url).content.decode()
    text = f"W001\t{sf_number(1)}"
    page = clerk_client.post(url, {"text": text, "preview": "1"}).content.decode()
    assert "全部检查通过：将发货 1 单" in page
    assert "确认发货 1 单" in page
    assert Order.objects.get().status == "pending"
    response = clerk_client.post(url, {"text": text, "confirm": "1"}, follow=True)
    assert "已发货 1 个订单" in response.content.decode()
    assert Order.objects.get().status == "shipped"
    ledger_is_consistent()


@pytest.mark.django_db
def test_paste_page_shows_problems_and_no_confirm(clerk_client):
    OrderFactory(order_no="X001")
    url = reverse("admin:orders_order_paste")
    page = clerk_client.post(url, {"text": "X001 nonsense\n<b>x</b>", "preview": "1"}).content.decode()
    assert "有 2 行有问题" in page
    assert 'name="confirm"' not in page
    assert "<b>x</b>" not in page  # escaped
    page = clerk_client.post(url, {"text": "X001 nonsense", "confirm": "1"}).content.decode()
    assert "本批一单也没有发" in page


@pytest.mark.django_db
def test_an_order_shipped_after_the_preview_stops_the_batch_on_its_line(clerk, monkeypatch, ledger_is_consistent):
    OrderFactory(order_no="V001")
    late = OrderFactory(order_no="V002", receiver_name="李四")

    def preview_then_another_clerk_ships(text):
        lines = preview_paste(text)
        services.ship_order(Order.objects.get(pk=late.pk), carrier("ZTO"), "70000000000001")
        return lines

    monkeypatch.setattr(paste, "preview_paste", preview_then_another_clerk_ships)
    lines, shipped = apply_paste(f"V001 {sf_number(1)}\nV002 {sf_number(2)}", user=clerk)

    assert shipped == 0
    assert lines[0].problems == []
    assert lines[1].problems == ["订单 V002 当前为“已发货”，不能发货。"]
    assert Order.objects.get(order_no="V001").status == "pending"
    ledger_is_consistent()
