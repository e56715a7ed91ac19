"""售后 (issue 19): cases and their transitions, returns counted 良品/次品, reissues, refund holds.

Everything runs through the real services on the real database; verify_stock has the last word.
"""

import random
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from inventory.models import InventoryItem, StockMovement
from orders import after_sales, selectors, services
from orders.desk import pick_list, scan
from orders.models import AfterSaleCase, Order, OrderHold, Parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db

KIND, STATUS = AfterSaleCase.Kind, AfterSaleCase.Status


def stock(item):
    return InventoryItem.objects.get(pk=item.pk).stock


def refused(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.messages


def shipped_three():
    """An order of three items (1 each), shipped whole in one parcel: (order, [lines], [items])."""
    items = [ItemFactory(initial_stock=10) for _ in range(3)]
    order = OrderFactory(lines=[(item, 1) for item in items])
    services.ship_order(order, carrier("SF"), sf_number(1))
    order.refresh_from_db()
    return order, list(order.lines.order_by("pk")), items


def verify():
    call_command("verify_stock", stdout=open("/dev/null", "w"))  # noqa: SIM115


# --- Opening cases -----------------------------------------------------------------------------


def test_a_return_of_more_than_shipped_is_refused_with_every_problem():
    item_a, item_b = ItemFactory(initial_stock=10), ItemFactory(initial_stock=10)
    order = OrderFactory(lines=[(item_a, 3), (item_b, 2)])
    line_a, line_b = order.lines.order_by("pk")
    services.ship_parcel([(line_a, 2)], carrier("SF"), sf_number(1))

    messages = refused(lambda: after_sales.create_case(order, KIND.RETURN_REFUND, [(line_a, 3), (line_b, 1)]))

    assert messages == [
        f"SKU {item_a.sku} 已发货 2 件，其他售后单已占 0 件，最多还能售后 2 件，不能售后 3 件。",
        f"SKU {item_b.sku} 已发货 0 件，其他售后单已占 0 件，最多还能售后 0 件，不能售后 1 件。",
    ]
    assert not AfterSaleCase.objects.exists()


def test_other_open_cases_claim_their_units_and_a_cancelled_case_gives_them_back():
    order, (line, *_rest), _items = shipped_three()
    first = after_sales.create_case(order, KIND.RETURN_REFUND, [(line, 1)])

    messages = refused(lambda: after_sales.create_case(order, KIND.EXCHANGE, [(line, 1)]))
    assert "其他售后单已占 1 件，最多还能售后 0 件" in messages[0]
    # Sending again is a pool of its own: a returned (say damaged) piece may still be reissued.
    after_sales.create_case(order, KIND.REISSUE, [(line, 1)])

    after_sales.cancel_case(first)
    assert after_sales.create_case(order, KIND.RETURN_REFUND, [(line, 1)]).status == STATUS.PENDING
    # 换货 draws on both pools: now both are taken.
    assert "最多还能售后 0 件" in refused(lambda: after_sales.create_case(order, KIND.EXCHANGE, [(line, 1)]))[0]


def test_a_case_of_nothing_and_a_cancelled_order_are_refused():
    order = OrderFactory()
    assert refused(lambda: after_sales.create_case(order, KIND.RETURN_REFUND, [])) == ["请选择售后的商品和数量。"]
    services.cancel_order(order)
    line = order.lines.get()
    messages = refused(lambda: after_sales.create_case(order, KIND.REFUND_ONLY, [(line, 1)]))
    assert messages == [f"订单 {order.order_no} 已取消，不能新建售后。"]


# --- Receiving a return ------------------------------------------------------------------------


def test_only_good_pieces_go_back_to_stock_and_damaged_ones_are_recorded():
    item = ItemFactory(initial_stock=10)
    order = OrderFactory(item=item, quantity=3)
    services.ship_order(order, carrier("SF"), sf_number(1))
    line = order.lines.get()
    case = after_sales.create_case(
        order, KIND.RETURN_REFUND, [(line, 3)], reason="不想要了", return_tracking_number="yt1234567890"
    )
    assert case.status == STATUS.RETURNING and case.return_tracking_number == "YT1234567890"
    case_line = case.lines.get()

    after_sales.receive_return(case, {case_line.pk: (2, 1)})

    case_line.refresh_from_db()
    assert (case_line.good_quantity, case_line.damaged_quantity) == (2, 1)
    assert stock(item) == 9  # 10 - 3 shipped + 2 good
    row = StockMovement.objects.get(reason=StockMovement.Reason.RETURN)
    assert (row.delta, row.line_id, row.order_id, row.balance_after) == (2, line.pk, order.pk, 9)
    assert AfterSaleCase.objects.get(pk=case.pk).status == STATUS.RECEIVED
    verify()


def test_receiving_twice_moves_stock_once_and_counts_beyond_the_case_are_refused():
    order, (line, *_rest), (item, *_items) = shipped_three()
    case = after_sales.create_case(order, KIND.RETURN_REFUND, [(line, 1)])
    case_line = case.lines.get()

    messages = refused(lambda: after_sales.receive_return(case, {case_line.pk: (1, 1)}))
    assert messages == [f"SKU {item.sku} 售后 1 件，良品 1 + 次品 1 多了 1 件。"]
    assert refused(lambda: after_sales.receive_return(case, {})) == ["请填写收到的良品或次品数量。"]
    after_sales.receive_return(case, {case_line.pk: (1, 0)})
    messages = refused(lambda: after_sales.receive_return(case, {case_line.pk: (1, 0)}))

    assert messages == [f"售后单 {case.pk} 已经收货入库，库存不会再次增加。"]
    assert stock(item) == 10
    assert StockMovement.objects.filter(reason=StockMovement.Reason.RETURN).count() == 1


def test_a_return_after_a_merged_parcel_names_the_right_order_line():
    item = ItemFactory(initial_stock=10)
    first, second = OrderFactory(item=item, quantity=1), OrderFactory(item=item, quantity=2)
    services.ship_order(first, carrier("SF"), sf_number(5))
    services.ship_order(second, carrier("SF"), sf_number(5))  # same receiver, same number: 合并发货
    assert Parcel.objects.count() == 1
    line = second.lines.get()

    case = after_sales.create_case(second, KIND.RETURN_REFUND, [(line, 2)])
    after_sales.receive_return(case, {case.lines.get().pk: (2, 0)})

    assert stock(item) == 9
    assert StockMovement.objects.get(reason=StockMovement.Reason.RETURN).line_id == line.pk
    # The merged parcel still holds the other order's unit: only it may still come back.
    messages = refused(lambda: after_sales.create_case(second, KIND.RETURN_REFUND, [(line, 1)]))
    assert "最多还能售后 0 件" in messages[0]
    verify()


def test_a_return_after_a_split_counts_both_parcels_and_voiding_a_returned_parcel_is_refused():
    item = ItemFactory(initial_stock=10)
    order = OrderFactory(item=item, quantity=3)
    line = order.lines.get()
    first = services.ship_parcel([(line, 1)], carrier("SF"), sf_number(1))
    services.ship_parcel([(line, 2)], carrier("SF"), sf_number(2))
    case = after_sales.create_case(order, KIND.RETURN_REFUND, [(line, 3)])
    after_sales.receive_return(case, {case.lines.get().pk: (3, 0)})

    messages = refused(lambda: services.void_parcel(first))

    assert messages == [f"订单 {order.order_no}：SKU {item.sku} 已有 3 件退货入库，不能撤销这个包裹。"]
    assert stock(item) == 10 and Parcel.objects.get(pk=first.pk).is_live
    verify()


# --- Reissues ----------------------------------------------------------------------------------


def test_a_reissue_takes_stock_without_selling_again():
    order, (line, *_rest), (item, *_items) = shipped_three()
    case = after_sales.create_case(order, KIND.REISSUE, [(line, 1)], reason="快递破损")

    parcel = after_sales.ship_reissue(case, carrier("SF"), sf_number(9))

    assert parcel.kind == Parcel.Kind.REISSUE and parcel.after_sale_id == case.pk
    assert stock(item) == 8  # 10 - 1 sold - 1 reissued
    row = StockMovement.objects.get(parcel=parcel)
    assert (row.reason, row.delta, row.line_id) == (StockMovement.Reason.REISSUE, -1, line.pk)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert selectors.shipped_quantities([line.pk]) == {line.pk: 1}
    assert AfterSaleCase.objects.get(pk=case.pk).status == STATUS.COMPLETED
    messages = refused(lambda: after_sales.ship_reissue(case, carrier("SF"), sf_number(10)))
    assert messages == [f"售后单 {case.pk} 当前为“已完成”，不能补发。"]
    verify()


def test_a_reissue_of_a_partly_shipped_order_leaves_its_status_and_queue_as_they_were():
    item = ItemFactory(initial_stock=10)
    order = OrderFactory(item=item, quantity=3)
    line = order.lines.get()
    services.ship_parcel([(line, 1)], carrier("SF"), sf_number(1))
    case = after_sales.create_case(order, KIND.REISSUE, [(line, 1)])

    after_sales.ship_reissue(case, carrier("SF"), sf_number(2))

    order.refresh_from_db()
    assert order.status == Order.Status.PARTIAL
    assert selectors.remaining_lines([order])[order.pk][0][1] == 2
    # Voiding the reissue puts its unit back and the books still agree.
    services.void_parcel(Parcel.objects.get(kind=Parcel.Kind.REISSUE))
    assert stock(item) == 9
    verify()


def test_an_exchange_returns_one_item_and_sends_another():
    old, new = ItemFactory(initial_stock=10), ItemFactory(initial_stock=4)
    order = OrderFactory(item=old, quantity=1)
    services.ship_order(order, carrier("SF"), sf_number(1))
    line = order.lines.get()
    case = after_sales.create_case(order, KIND.EXCHANGE, [(line, 1)], reissue=[(line, new, 1)], reason="换颜色")

    messages = refused(lambda: after_sales.complete_case(case))
    assert messages == [
        f"售后单 {case.pk} 的退货还没有收货入库，请先收货。",
        f"售后单 {case.pk} 还没有补发，请先补发。",
    ]
    parcel = after_sales.ship_reissue(case, carrier("SF"), sf_number(2))
    assert AfterSaleCase.objects.get(pk=case.pk).status == STATUS.PENDING  # waits for the return
    after_sales.receive_return(case, {case.lines.get().pk: (1, 0)})
    after_sales.complete_case(case)

    assert (stock(old), stock(new)) == (10, 3)
    assert parcel.lines.get().item_id == new.pk
    assert AfterSaleCase.objects.get(pk=case.pk).status == STATUS.COMPLETED
    verify()


def test_a_reissue_number_of_a_live_sale_parcel_is_refused():
    order, (line, *_rest), _items = shipped_three()
    case = after_sales.create_case(order, KIND.REISSUE, [(line, 1)])
    messages = refused(lambda: after_sales.ship_reissue(case, carrier("SF"), sf_number(1)))
    assert "补发与正常发货不能共用一个包裹" in messages[0]


# --- Refunds hold what has not shipped ---------------------------------------------------------


def test_a_refund_on_an_unshipped_order_holds_it_on_every_path_until_the_case_closes():
    order = OrderFactory()
    line = order.lines.get()
    case = after_sales.create_case(order, KIND.REFUND_ONLY, [(line, 1)], reason="拍错了")

    holds = services.active_holds([order.pk])[order.pk]
    assert [hold.reason for hold in holds] == [OrderHold.Reason.REFUND]
    assert "已挂起（退款中" in refused(lambda: services.ship_order(order, carrier("SF"), sf_number(1)))[0]
    assert scan.next_open_order() is None
    assert pick_list.picked_orders(pick_list.open_orders()) == []

    after_sales.reject_case(case, note="买家已确认要发货")

    assert services.active_holds([order.pk]) == {}
    services.ship_order(order, carrier("SF"), sf_number(1))
    assert AfterSaleCase.objects.get(pk=case.pk).note.endswith("拒绝：买家已确认要发货")


def test_a_return_refund_of_shipped_units_does_not_stop_the_rest_of_a_partial_order():
    item = ItemFactory(initial_stock=10)
    order = OrderFactory(item=item, quantity=3)
    line = order.lines.get()
    services.ship_parcel([(line, 1)], carrier("SF"), sf_number(1))

    case = after_sales.create_case(order, KIND.RETURN_REFUND, [(line, 1)])

    assert case.hold_id is None and services.active_holds([order.pk]) == {}
    services.ship_order(order, carrier("SF"), sf_number(2))


def test_two_refund_cases_share_one_hold_released_when_the_last_one_closes():
    item = ItemFactory(initial_stock=10)
    order = OrderFactory(lines=[(item, 1), (ItemFactory(initial_stock=10), 1)])
    first_line, second_line = order.lines.order_by("pk")
    first = after_sales.create_case(order, KIND.REFUND_ONLY, [(first_line, 1)])
    second = after_sales.create_case(order, KIND.REFUND_ONLY, [(second_line, 1)])
    assert first.hold_id == second.hold_id

    after_sales.complete_case(first)
    assert order.pk in services.active_holds([order.pk])
    after_sales.cancel_case(second)
    assert services.active_holds([order.pk]) == {}


def test_a_refund_from_the_scan_desk_stops_the_order_there(admin_client):
    order = OrderFactory(order_no="SCAN-REFUND")
    after_sales.create_case(order, KIND.REFUND_ONLY, [(order.lines.get(), 1)])

    result = scan.handle_scan(sf_number(3), current=order, user=None)

    assert result.kind == scan.Outcome.ERROR and "已挂起（退款中" in result.message
    assert not Parcel.objects.exists()


def test_a_whole_refund_of_an_unshipped_order_cancels_it_and_a_partial_one_lets_the_rest_ship():
    whole, part = OrderFactory(quantity=2), OrderFactory(quantity=2)
    after_sales.complete_case(after_sales.create_case(whole, KIND.REFUND_ONLY, [(whole.lines.get(), 2)]))
    after_sales.complete_case(after_sales.create_case(part, KIND.REFUND_ONLY, [(part.lines.get(), 1)]))

    whole.refresh_from_db()
    part.refresh_from_db()
    assert (whole.status, part.status) == (Order.Status.CANCELLED, Order.Status.PENDING)
    assert services.active_holds([whole.pk, part.pk]) == {}


def test_a_return_whose_parcel_was_voided_meanwhile_cannot_be_received():
    item = ItemFactory(initial_stock=10)
    order = OrderFactory(item=item, quantity=1)
    parcel = services.ship_order(order, carrier("SF"), sf_number(1))
    case = after_sales.create_case(order, KIND.RETURN_REFUND, [(order.lines.get(), 1)])
    services.void_parcel(parcel)

    messages = refused(lambda: after_sales.receive_return(case, {case.lines.get().pk: (1, 0)}))

    assert messages == [f"SKU {item.sku} 现在已发货且未退回的只有 0 件（包裹可能已撤销），不能收 1 件。"]
    assert stock(item) == 10
    verify()


def test_cancelling_a_held_order_releases_its_holds():
    order = OrderFactory()
    services.hold_order(order, OrderHold.Reason.MANUAL, note="核对地址")
    services.cancel_order(order)
    assert services.active_holds([order.pk]) == {}
    assert OrderHold.objects.get(order=order).released_at is not None


def test_held_orders_are_not_counted_as_waiting_for_stock():
    item = ItemFactory(initial_stock=0)
    order = OrderFactory(item=item)
    scan.cache.delete(scan.WAITING_COUNT_KEY)
    assert scan.waiting_for_stock_count() == 1
    services.hold_order(order, OrderHold.Reason.MANUAL)
    scan.cache.delete(scan.WAITING_COUNT_KEY)
    assert scan.waiting_for_stock_count() == 0


# --- Interception ------------------------------------------------------------------------------


def test_an_intercepted_parcel_is_received_back_by_its_own_number():
    order, _lines, items = shipped_three()
    parcel = Parcel.objects.get()
    case = after_sales.create_case(order, KIND.INTERCEPT, [], parcel=parcel, reason="买家退款")

    assert case.return_tracking_number == parcel.tracking_number and case.intercept_result
    assert selectors.case_by_return_number(parcel.tracking_number.lower()) == case
    after_sales.receive_return(case, {case_line.pk: (1, 0) for case_line in case.lines.all()})

    assert [stock(item) for item in items] == [10, 10, 10]
    verify()


# --- verify_stock catches what the services never do --------------------------------------------


def test_verify_stock_catches_a_return_row_without_its_count():
    order, (line, *_rest), (item, *_items) = shipped_three()
    case = after_sales.create_case(order, KIND.RETURN_REFUND, [(line, 1)])
    after_sales.receive_return(case, {case.lines.get().pk: (0, 1)})
    verify()
    # A 良品 put back without its count on the case (e.g. someone writing stock by hand).
    from inventory.services import adjust_stock

    adjust_stock(item, 1, StockMovement.Reason.RETURN, order=order, line=line)

    with pytest.raises(CommandError, match="发货数量与包裹、退货或流水不一致"):
        verify()


def test_verify_stock_holds_after_a_random_run_of_ship_void_return_reissue():
    rng = random.Random(19)
    items = [ItemFactory(initial_stock=40) for _ in range(4)]
    orders = [OrderFactory(lines=[(rng.choice(items), rng.randint(1, 3))]) for _ in range(12)]
    sf, number = carrier("SF"), iter(range(100, 10_000))
    done = {"ship": 0, "void": 0, "return": 0, "reissue": 0, "refused": 0}
    for _step in range(200):
        order = rng.choice(orders)
        order.refresh_from_db()
        line = order.lines.get()
        action = rng.choice(["ship", "ship", "void", "return", "reissue"])
        try:
            if action == "ship":
                left = selectors.remaining_lines([order])[order.pk]
                if not left:
                    continue
                services.ship_parcel([(line, rng.randint(1, left[0][1]))], sf, sf_number(next(number)))
            elif action == "void":
                parcels = list(Parcel.objects.filter(lines__line=line, status=Parcel.Status.SHIPPED))
                if not parcels:
                    continue
                services.void_parcel(rng.choice(parcels))
            elif action == "return":
                case = after_sales.create_case(order, KIND.RETURN_REFUND, [(line, 1)])
                good = rng.randint(0, 1)
                after_sales.receive_return(case, {case.lines.get().pk: (good, 1 - good)})
            else:
                case = after_sales.create_case(order, KIND.REISSUE, [(line, 1)])
                after_sales.ship_reissue(case, sf, sf_number(next(number)))
        except (ValidationError, services.InsufficientStock):
            done["refused"] += 1
            continue
        done[action] += 1
    assert all(done[action] > 5 for action in ("ship", "void", "return", "reissue")), done
    verify()


# --- Two clerks, one return (MariaDB: real row locks) ------------------------------------------


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clerks_receiving_one_return_at_once_move_stock_once():
    if connection.vendor != "mysql":
        pytest.skip("row locks need MySQL/MariaDB; run with DATABASE_URL=mysql://…")
    item = ItemFactory(initial_stock=5)
    order = OrderFactory(item=item, quantity=2)
    services.ship_order(order, carrier("SF"), sf_number(1))
    case = after_sales.create_case(order, KIND.RETURN_REFUND, [(order.lines.get(), 2)])
    line_pk = case.lines.get().pk
    barrier, outcomes = threading.Barrier(4), []

    def receive():
        barrier.wait()
        try:
            after_sales.receive_return(AfterSaleCase.objects.get(pk=case.pk), {line_pk: (2, 0)})
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=receive) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok"] + [f"售后单 {case.pk} 已经收货入库，库存不会再次增加。"] * 3
    assert stock(item) == 5
    assert StockMovement.objects.filter(reason=StockMovement.Reason.RETURN).count() == 1
    verify()


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clerks_opening_returns_of_the_same_units_at_once_claim_them_once():
    if connection.vendor != "mysql":
        pytest.skip("row locks need MySQL/MariaDB; run with DATABASE_URL=mysql://…")
    item = ItemFactory(initial_stock=5)
    order = OrderFactory(item=item, quantity=2)
    services.ship_order(order, carrier("SF"), sf_number(1))
    line_pk = order.lines.get().pk
    barrier, outcomes = threading.Barrier(3), []

    def open_case():
        barrier.wait()
        try:
            fresh = Order.objects.get(pk=order.pk)
            after_sales.create_case(fresh, KIND.RETURN_REFUND, [(fresh.lines.get(pk=line_pk), 2)])
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=open_case) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    refusal = f"SKU {item.sku} 已发货 2 件，其他售后单已占 2 件，最多还能售后 0 件，不能售后 2 件。"
    assert sorted(outcomes) == sorted(["ok", refusal, refusal])
    assert AfterSaleCase.objects.count() == 1
