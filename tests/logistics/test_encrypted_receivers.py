"""平台加密 orders (the platform hid the receiver) never get an e-waybill from a copied address."""

import pytest

from logistics.models import Waybill
from logistics.services import waybills
from logistics.services.waybills import WaybillError
from orders.models import Order
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_the_waybill_path_refuses_an_encrypted_order(courier, sender):
    order = OrderFactory(receiver_name="平台加密", receiver_phone="平台加密", receiver_encrypted=True)
    with pytest.raises(WaybillError, match="平台加密订单不能下电子面单"):
        waybills.ship_with_waybill(order)
    assert not Waybill.objects.filter(order=order).exists()
    assert courier.requests == []  # nothing asked of the courier
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
