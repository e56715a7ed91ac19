"""A signed push whose event times no database can hold is a malformed push (400), never a 500."""

import json

import pytest

from logistics.models import TraceEvent
from logistics.providers.base import MalformedPush
from logistics.providers.kuaidi100 import Kuaidi100, push_sign
from logistics.services.tracking import ensure_tracking
from orders.services import ship_order
from tests.factories import ItemFactory, OrderFactory, carrier
from tests.logistics.conftest import PUSH_PATH, TEST_SALT

NUMBER = "SF0000000000456"


def signed_push(ftime):
    param = json.dumps(
        {
            "status": "polling",
            "message": "",
            "lastResult": {
                "nu": NUMBER,
                "com": "shunfeng",
                "state": "0",
                "ischeck": "0",
                "data": [{"context": "【杭州市】已揽收", "ftime": ftime, "time": ftime}],
            },
        }
    )
    return {"param": param, "sign": push_sign(param, TEST_SALT)}


@pytest.mark.parametrize("ftime", ["0001-01-01 00:00:00", "9999-12-31 23:59:59", "1900-01-01 00:00:00"])
def test_an_absurd_event_time_is_a_malformed_push(ftime):
    provider = Kuaidi100(key="k", secret="s", customer="c", salt=TEST_SALT)
    with pytest.raises(MalformedPush):
        provider.parse_push(signed_push(ftime))


def test_a_real_event_time_is_read_in_shanghai():
    provider = Kuaidi100(key="k", secret="s", customer="c", salt=TEST_SALT)
    (event,) = provider.parse_push(signed_push("2026-11-20 09:15:00")).events
    assert event.time.isoformat() == "2026-11-20T09:15:00+08:00"


def test_the_webhook_answers_400_and_stores_nothing(client, courier):
    order = OrderFactory(item=ItemFactory(initial_stock=5))
    ensure_tracking(ship_order(order, carrier("SF"), NUMBER))

    response = client.post(PUSH_PATH, signed_push("0001-01-01 00:00:00"))

    assert response.status_code == 400
    assert not TraceEvent.objects.exists()
