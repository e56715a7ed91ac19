"""Several clerks mapping one new 商家编码 at once, on a real MySQL/MariaDB (SQLite serialises all writers)."""

import threading

import pytest
from django.db import connection

from orders import services
from orders.models import SkuMapping, SkuMappingComponent
from tests.factories import ItemFactory, ShopFactory

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def needs_mysql():
    if connection.vendor != "mysql":
        pytest.skip("row locks need MySQL/MariaDB; run with DATABASE_URL=mysql://…")


def test_one_code_mapped_by_several_clerks_at_once_is_mapped_once_and_the_others_told_why():
    shop = ShopFactory(name="淘宝旗舰店")
    items = [ItemFactory(sku=f"RACE-{n}") for n in range(6)]
    barrier = threading.Barrier(len(items))
    outcomes = []

    def clerk(item, spelling):
        barrier.wait()
        try:
            services.map_platform_codes(shop, [(spelling, [(item, 1)])])
            outcomes.append("ok")
        except services.MappingRefused as exc:
            outcomes.extend(exc.messages)
        finally:
            connection.close()

    spellings = ["TB-RACE", "tb-race", " TB-race", "Tb-Race", "TB-RACE\u3000", "tb-RACE"]
    threads = [threading.Thread(target=clerk, args=pair) for pair in zip(items, spellings, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1, outcomes
    refusals = [outcome for outcome in outcomes if outcome != "ok"]
    assert len(refusals) == 5
    assert all("刚刚被其他人对应了" in text or "已对应 RACE-" in text for text in refusals), refusals
    assert SkuMapping.objects.count() == 1 and SkuMappingComponent.objects.count() == 1
