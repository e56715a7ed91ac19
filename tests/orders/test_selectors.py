import pytest

from orders.models import Carrier
from orders.selectors import CarrierDirectory

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
