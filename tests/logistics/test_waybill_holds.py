"""电子面单下单 refuses a held order (挂起) before buying anything, against the local Kuaidi100 fake."""

import pytest

from logistics.models import Waybill
from orders import services
from orders.models import Order, OrderHold, Parcel
from tests.factories import ItemFactory, OrderFactory
from tests.logistics.conftest import run_action

pytestmark = pytest.mark.django_db


def test_a_held_order_gets_no_waybill_until_released(courier, sender, clerk):
    order = OrderFactory(order_no="HW01", item=ItemFactory(initial_stock=10))
    services.hold_order(order, OrderHold.Reason.BUYER_MESSAGE, note="周末再发", user=clerk)

    _response, shown = run_action(clerk, [order])

    assert any("订单 HW01 已挂起（买家留言：周末再发），请先在订单页解除挂起。" in m for m in shown), shown
    assert courier.purchases == 0 and not Waybill.objects.exists() and not Parcel.objects.exists()

    services.release_holds(order, user=clerk)
    run_action(clerk, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED and courier.purchases == 1
