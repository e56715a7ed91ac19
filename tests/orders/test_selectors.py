import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import selectors, services
from orders.carriers import CarrierDirectory
from orders.models import Carrier, Order
from orders.selectors import mergeable_order_pks, order_search_filter
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("顺丰", "SF"),
        ("顺丰速运", "SF"),
        ("SF", "SF"),
        ("sf", "SF"),
        ("中通", "ZTO"),
        ("中通快递", "ZTO"),
        ("京东", "JD"),
        ("极兔速递", "JTSD"),
        ("邮政EMS", "EMS"),
        ("ems", "EMS"),
        (" 圆通 ", "YTO"),
    ],
)
def test_finds_carriers_by_name_short_name_or_code(text, code):
    assert CarrierDirectory().find(text).code == code


def test_unknown_and_ambiguous_names_find_nothing():
    Carrier.objects.create(name="顺丰快运", code="SFKY")  # 顺丰 now could mean two carriers
    directory = CarrierDirectory()
    assert directory.find("火星快递") is None
    assert directory.find("顺丰") is None
    assert directory.find("顺丰速运").code == "SF"


def test_reads_carriers_once(django_assert_num_queries):
    with django_assert_num_queries(1):
        directory = CarrierDirectory()
        for _ in range(10):
            directory.find("顺丰")


@pytest.fixture
def orders():
    item = ItemFactory(initial_stock=10)
    wang = OrderFactory(item=item, order_no="DD2601010001", receiver_name="王小明", receiver_phone="13912345678")
    li = OrderFactory(item=item, order_no="DD2601020002", receiver_name="李雷", receiver_phone="18600001111")
    services.ship_order(li, carrier("SF"), sf_number(42))
    numeric = OrderFactory(item=item, order_no="4001234567", receiver_name="Tom", receiver_phone="15000002222")
    return {"wang": wang, "li": li, "numeric": numeric}


def search(text):
    return set(Order.objects.filter(order_search_filter(text)).values_list("order_no", flat=True))


def test_an_order_number_or_its_start_finds_the_order(orders):
    assert search("DD2601010001") == {"DD2601010001"}
    assert search("dd260102") == {"DD2601020002"}


def test_a_tracking_number_typed_in_lower_case_finds_the_order(orders):
    assert search(sf_number(42).lower()) == {"DD2601020002"}


def test_digits_may_be_a_phone_an_order_number_or_a_tracking_number(orders):
    assert search("13912345678") == {"DD2601010001"}
    assert search("186") == {"DD2601020002"}
    assert search("4001") == {"4001234567"}


def test_chinese_text_matches_the_start_of_the_receiver_name(orders):
    assert search("王") == {"DD2601010001"}
    assert search("王小明") == {"DD2601010001"}
    # Prefix only, so that an index serves it: the middle of a name does not match.
    assert search("小明") == set()


def test_latin_letters_also_match_a_receiver_name(orders):
    assert search("tom") == {"4001234567"}


def test_words_narrow_the_search_together(orders):
    assert search("王 139") == {"DD2601010001"}
    assert search("王 186") == set()


def test_empty_search_is_no_filter():
    assert order_search_filter("   ") is None


def test_an_order_in_several_parcels_is_found_once_by_a_shared_prefix():
    order = OrderFactory(lines=[(ItemFactory(initial_stock=5), 1), (ItemFactory(initial_stock=5), 1)])
    first, second = order.lines.all()
    services.ship_parcel([(first, 1)], carrier("SF"), sf_number(7001))
    services.ship_parcel([(second, 1)], carrier("SF"), sf_number(7002))

    found = list(Order.objects.filter(order_search_filter(sf_number(7001)[:12])))

    assert found == [order]
    # Few matches: their order ids, listed, so that MariaDB merges the indexed prefix ranges
    # (an IN (SELECT …) under OR made it walk the whole order table: 1.7 s at a million orders).
    sql = str(Order.objects.filter(order_search_filter("SF00")).query).upper()
    assert sql.count("SELECT") == 1 and "JOIN" not in sql


def test_a_tracking_number_prefix_matching_many_orders_stays_a_subquery(monkeypatch):
    monkeypatch.setattr(selectors, "TRACKING_MATCHES_LISTED", 1)
    first, second = OrderFactory(), OrderFactory(receiver_name="王五")
    services.ship_order(first, carrier("SF"), sf_number(7101))
    services.ship_order(second, carrier("SF"), sf_number(7102))

    query = Order.objects.filter(order_search_filter(sf_number(7101)[:12]))

    assert set(query) == {first, second}
    sql = str(query.query).upper()
    assert " IN (SELECT" in sql and "JOIN" not in sql.split("IN (SELECT")[0]  # a subquery, not a join


@pytest.mark.mariadb
def test_number_and_phone_prefixes_can_use_their_indexes_on_mariadb(orders):
    # startswith compiles to LIKE BINARY on MariaDB, which cannot use the columns' (ci) indexes.
    if connection.vendor != "mysql":
        pytest.skip("MariaDB's SQL; run with DATABASE_URL=mysql://…")
    with CaptureQueriesContext(connection) as parcels_read:
        condition = order_search_filter("18600001111")
    sql = str(Order.objects.filter(condition).query).upper()
    assert "RECEIVER_PHONE` LIKE " in sql and "BINARY" not in sql
    assert "TRACKING_NUMBER` LIKE " in parcels_read[0]["sql"].upper()
    assert "BINARY" not in parcels_read[0]["sql"].upper()
    assert search(sf_number(42)) == {"DD2601020002"}


def test_mergeable_orders_are_pending_orders_sharing_a_receiver(django_assert_num_queries):
    a, b = OrderFactory(), OrderFactory(address="上海市浦东新区张杨路  100 号")
    other = OrderFactory(receiver_name="王五")
    shipped = OrderFactory()
    services.ship_order(shipped, carrier("SF"), sf_number(7003))
    page = list(Order.objects.all())

    with django_assert_num_queries(1):
        found = mergeable_order_pks(page)

    assert found == {a.pk, b.pk} and other.pk not in found
