import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import InventoryItem, StockMovement
from orders import services
from orders.models import Order
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.importing import db_snapshot as snapshot

pytestmark = pytest.mark.django_db
Reason = StockMovement.Reason


def stock_of(item):
    return InventoryItem.objects.get(pk=item.pk).stock


def test_shipping_takes_stock_once_and_stamps_the_order(clerk, ledger_is_consistent):
    order = OrderFactory(quantity=2, item=ItemFactory(initial_stock=5))

    services.ship_order(order, carrier("SF"), sf_number(1), user=clerk)
    order.save()  # saving again is not a second transition
    services.save_order(Order.objects.get(pk=order.pk), user=clerk)

    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert order.shipped_at is not None and order.shipped_by == clerk
    assert stock_of(order.item) == 3
    assert list(order.stock_movements.values_list("reason", "delta")) == [(Reason.SHIP, -2)]
    ledger_is_consistent()


def test_undo_puts_stock_back_and_keeps_carrier_and_number(clerk, ledger_is_consistent):
    order = OrderFactory(quantity=2, item=ItemFactory(initial_stock=5))
    services.ship_order(order, carrier("SF"), sf_number(2), user=clerk)

    services.undo_shipment(order, user=clerk)

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert (order.carrier.code, order.tracking_number) == ("SF", sf_number(2))
    assert order.shipped_at is None
    assert stock_of(order.item) == 5
    assert order.stock_movements.filter(reason=Reason.RESTOCK, delta=2).count() == 1
    ledger_is_consistent()


def test_cancelling_a_shipped_order_restocks_and_a_pending_one_does_not(clerk, ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    shipped = OrderFactory(item=item, quantity=3)
    pending = OrderFactory(item=item, quantity=1)
    services.ship_order(shipped, carrier("SF"), sf_number(3), user=clerk)

    services.cancel_order(shipped, user=clerk)
    services.cancel_order(pending, user=clerk)

    assert stock_of(item) == 5
    assert pending.stock_movements.count() == 0
    assert shipped.stock_movements.filter(reason=Reason.RESTOCK).count() == 1
    ledger_is_consistent()


def test_not_enough_stock_saves_nothing():
    order = OrderFactory(quantity=3, item=ItemFactory(initial_stock=2))

    with pytest.raises(services.InsufficientStock):
        services.ship_order(order, carrier("SF"), sf_number(4))

    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.carrier_id, stored.tracking_number, stored.shipped_at) == ("pending", None, "", None)
    assert stock_of(order.item) == 2
    assert StockMovement.objects.filter(reason=Reason.SHIP).count() == 0


def test_tracking_number_must_match_the_carrier_pattern():
    order = OrderFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.ship_order(order, carrier("SF"), "12345")

    assert "顺丰速运" in excinfo.value.message_dict["tracking_number"][0]
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING
    assert stock_of(order.item) == 100


def test_shipped_needs_a_carrier_and_a_number():
    order = OrderFactory()
    order.status = Order.Status.SHIPPED
    with pytest.raises(ValidationError) as excinfo:
        services.save_order(order)
    assert set(excinfo.value.message_dict) == {"carrier", "tracking_number"}


def test_tracking_number_is_normalised_before_checking():
    order = OrderFactory()
    services.ship_order(order, carrier("SF"), f"  {sf_number(5).lower()} ")
    assert Order.objects.get(pk=order.pk).tracking_number == sf_number(5)


def test_completing_carrier_and_number_on_a_pending_order_ships_it(clerk):
    order = Order.objects.get(pk=OrderFactory().pk)
    order.carrier = carrier("SF")
    order.tracking_number = sf_number(6)

    services.save_order(order, user=clerk)

    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    assert stock_of(order.item) == 99


def test_undone_order_stays_pending_until_its_number_is_corrected(clerk):
    order = OrderFactory()
    services.ship_order(order, carrier("SF"), sf_number(7), user=clerk)
    services.undo_shipment(order, user=clerk)

    untouched = Order.objects.get(pk=order.pk)
    untouched.note = "客户改地址"
    services.save_order(untouched, user=clerk)
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING

    corrected = Order.objects.get(pk=order.pk)
    corrected.tracking_number = sf_number(8)
    services.save_order(corrected, user=clerk)
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    assert stock_of(order.item) == 99


def test_cancelled_order_cannot_ship_directly():
    order = OrderFactory()
    services.cancel_order(order)
    order = Order.objects.get(pk=order.pk)
    order.carrier, order.tracking_number, order.status = carrier("SF"), sf_number(9), Order.Status.SHIPPED

    with pytest.raises(ValidationError) as excinfo:
        services.save_order(order)

    assert "status" in excinfo.value.message_dict
    assert stock_of(order.item) == 100


def test_shipped_order_keeps_its_item_and_quantity():
    order = OrderFactory(quantity=1)
    services.ship_order(order, carrier("SF"), sf_number(10))
    order.quantity = 5

    with pytest.raises(ValidationError):
        order.save()

    assert Order.objects.get(pk=order.pk).quantity == 1
    assert stock_of(order.item) == 99


class TestStockTally:
    def test_counts_earlier_orders_of_the_batch(self):
        item = ItemFactory(initial_stock=4, sku="SKU-PEN", name="笔")
        a, b, c = (OrderFactory(item=item, quantity=q) for q in (3, 1, 1))
        tally = services.StockTally(earlier="文件中前面的行")
        assert [tally.shortfall(a), tally.shortfall(b)] == [None, None]
        assert tally.shortfall(c) == (
            f"订单 {c.order_no}：SKU SKU-PEN（笔）库存不足，需要 1 件，现有 4 件（文件中前面的行已占用 4 件）。"
            "请先补货或调整数量。"
        )

    def test_stock_shortfalls_keeps_the_forms_wording(self):
        item = ItemFactory(initial_stock=1)
        a, b = OrderFactory(item=item), OrderFactory(item=item)
        [(order, message)] = list(services.stock_shortfalls([a, b]))
        assert order == b and "本次保存中前面的订单已占用 1 件" in message


class TestSaveOrderForeignKeys:
    def test_a_loaded_carrier_is_not_selected_again(self):
        order = Order.objects.select_related("item").get(pk=OrderFactory().pk)
        sf = carrier("SF")
        with CaptureQueriesContext(connection) as ctx:
            services.ship_order(order, sf, sf_number(1))
        sql = " ".join(q["sql"] for q in ctx.captured_queries).replace("`", '"')
        assert 'FROM "orders_carrier"' not in sql
        assert 'SELECT 1 AS "a" FROM "inventory_inventoryitem"' not in sql

    def test_only_loaded_rows_skip_the_existence_check(self):
        order = Order.objects.get(pk=OrderFactory().pk)
        order.carrier_id = carrier("SF").pk
        assert services._relations_in_hand(order) == []  # ids only: full_clean still checks both
        order.carrier = carrier("SF")
        order.item  # noqa: B018 (loads the item)
        assert services._relations_in_hand(order) == ["item", "carrier"]


class TestShipOrders:
    """The batch form of ship_order (an imported file): the same rules, all or nothing, bulk writes."""

    def test_ships_every_order_with_one_ledger_row_each(self, clerk, ledger_is_consistent):
        item = ItemFactory(initial_stock=10)
        orders = [OrderFactory(item=item, quantity=q) for q in (1, 2, 3)]

        services.ship_orders([(o, carrier("SF"), sf_number(n)) for n, o in enumerate(orders)], user=clerk)

        stored = list(Order.objects.filter(pk__in=[o.pk for o in orders]).order_by("pk"))
        assert [(o.status, o.tracking_number, o.shipped_by) for o in stored] == [
            ("shipped", sf_number(n), clerk) for n in range(3)
        ]
        assert all(o.shipped_at is not None for o in stored)
        assert stock_of(item) == 4
        ledger = item.movements.filter(reason=Reason.SHIP).order_by("id")
        # The balance after each row, in the batch's order: the ledger reads like three single shipments.
        assert list(ledger.values_list("order_id", "delta", "balance_after", "created_by")) == [
            (orders[0].pk, -1, 9, clerk.pk),
            (orders[1].pk, -2, 7, clerk.pk),
            (orders[2].pk, -3, 4, clerk.pk),
        ]
        history = orders[2].history.first()
        assert (history.status, history.tracking_number, history.history_user, history.history_type) == (
            "shipped",
            sf_number(2),
            clerk,
            "~",
        )
        ledger_is_consistent()

    def test_queries_do_not_grow_with_the_orders(self):
        items = [ItemFactory(initial_stock=100) for _ in range(2)]

        def queries(count):
            orders = [
                Order.objects.select_related("item").get(pk=OrderFactory(item=items[n % 2]).pk) for n in range(count)
            ]
            codes = ["SF", "ZTO"]
            numbers = [sf_number(o.pk) if n % 2 == 0 else f"7{o.pk:013d}" for n, o in enumerate(orders)]
            shipments = [(o, carrier(codes[n % 2]), numbers[n]) for n, o in enumerate(orders)]
            with CaptureQueriesContext(connection) as ctx:
                services.ship_orders(shipments)
            return len(ctx.captured_queries)

        assert queries(4) == queries(40)

    def test_one_bad_order_ships_none_and_names_it(self):
        good, bad = OrderFactory(), OrderFactory()
        before = snapshot()
        with pytest.raises(ValidationError) as excinfo:
            services.ship_orders([(good, carrier("SF"), sf_number(1)), (bad, carrier("SF"), "12345")])
        assert excinfo.value.messages == [
            f"订单 {bad.order_no}：快递单号“12345”不符合顺丰速运的单号格式，请核对后重新输入。"
        ]
        assert snapshot() == before

    def test_a_number_used_twice_in_the_batch_for_two_receivers_is_refused(self):
        a = OrderFactory(receiver_name="张三")
        b = OrderFactory(receiver_name="李四")
        before = snapshot()
        with pytest.raises(ValidationError) as excinfo:
            services.ship_orders([(a, carrier("SF"), sf_number(1)), (b, carrier("SF"), sf_number(1))])
        assert excinfo.value.messages == [
            f"订单 {b.order_no}：快递单号“{sf_number(1)}”已用于订单 {a.order_no}（收货人不同），请核对单号。"
            "同一收货人的订单才能合并发货。"
        ]
        assert snapshot() == before

    def test_one_number_for_the_same_receiver_is_one_parcel(self):
        a, b = OrderFactory(), OrderFactory()
        services.ship_orders([(a, carrier("SF"), sf_number(1)), (b, carrier("SF"), sf_number(1))])
        assert b.consolidated_with == [a.order_no]
        assert Order.objects.filter(tracking_number=sf_number(1), status="shipped").count() == 2

    def test_an_order_shipped_since_it_was_read_is_refused(self, ledger_is_consistent):
        order = OrderFactory()
        stale = Order.objects.get(pk=order.pk)
        services.ship_order(Order.objects.get(pk=order.pk), carrier("SF"), sf_number(1))  # another clerk
        other = OrderFactory()
        before = snapshot()
        with pytest.raises(ValidationError) as excinfo:
            services.ship_orders([(other, carrier("SF"), sf_number(3)), (stale, carrier("SF"), sf_number(2))])
        assert excinfo.value.messages == [f"订单 {order.order_no} 当前为“已发货”，不能发货。"]
        assert snapshot() == before
        assert order.stock_movements.count() == 1
        ledger_is_consistent()

    def test_an_order_whose_quantity_changed_since_it_was_read_is_refused(self):
        order = OrderFactory(quantity=1)
        stale = Order.objects.get(pk=order.pk)
        fresh = Order.objects.get(pk=order.pk)
        fresh.quantity = 5
        fresh.save()
        with pytest.raises(ValidationError, match="商品或数量刚被修改"):
            services.ship_order(stale, carrier("SF"), sf_number(1))
        assert stock_of(order.item) == 100

    def test_not_enough_stock_for_the_batch_ships_none(self):
        item = ItemFactory(sku="SKU-MUG", name="马克杯", initial_stock=3)
        orders = [OrderFactory(item=item, quantity=2) for _ in range(2)]
        before = snapshot()
        with pytest.raises(services.InsufficientStock) as excinfo:
            services.ship_orders([(o, carrier("SF"), sf_number(n)) for n, o in enumerate(orders)])
        assert str(excinfo.value) == "SKU SKU-MUG（马克杯）库存不足：需要 4 件，现有 3 件。请先补货或调整数量。"
        assert snapshot() == before

    def test_the_same_order_twice_is_a_programming_error(self):
        order = OrderFactory()
        with pytest.raises(ValueError):
            services.ship_orders([(order, carrier("SF"), sf_number(1)), (order, carrier("SF"), sf_number(1))])


class TestCreateOrders:
    def test_adds_pending_orders_with_their_history(self, clerk):
        item = ItemFactory(initial_stock=3)
        orders = [
            Order(order_no=f"N{n}", item=item, receiver_name="李四", receiver_phone="139", address="北京")
            for n in range(3)
        ]
        services.create_orders(orders, user=clerk)
        stored = Order.objects.filter(order_no__in=["N0", "N1", "N2"])
        assert sorted(o.pk for o in stored) == sorted(o.pk for o in orders)
        assert [o.history.get().history_user for o in stored] == [clerk] * 3
        assert stock_of(item) == 3  # a pending order takes no stock

    def test_ids_are_read_back_where_a_bulk_insert_returns_none(self, monkeypatch):
        # MySQL (unlike MariaDB, PostgreSQL and SQLite) returns no ids from a bulk INSERT.
        monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
        item = ItemFactory()
        orders = [
            Order(order_no=f"M{n}", item=item, receiver_name="李四", receiver_phone="139", address="北京")
            for n in range(2)
        ]
        services.create_orders(orders)
        assert [o.pk for o in orders] == list(
            Order.objects.filter(order_no__in=["M0", "M1"]).order_by("order_no").values_list("pk", flat=True)
        )
        assert [o.history.get().order_no for o in orders] == ["M0", "M1"]

    def test_only_new_pending_orders(self):
        with pytest.raises(ValueError):
            services.create_orders([OrderFactory()])
