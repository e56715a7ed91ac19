import importlib
import random

import pytest

from orders import demo
from orders.carriers import (
    fits_format,
    format_problem,
    guess_carrier,
    guess_carriers,
    literal_prefix_length,
    match_specificity,
)
from orders.models import Carrier
from tests.factories import carrier

pytestmark = pytest.mark.django_db


# shared/carrier-numbers.md, row by row: (number, the carriers it fits). One carrier: it is the
# guess. Several: the clerk chooses among exactly these, no guess is made.
CARRIER_NUMBER_TABLE = [
    # 顺丰: SF + 13 (current), SF + 12, loose SF + 10–15, legacy 12 pure digits (overlaps)
    ("SF1234567890123", ["SF"]),
    ("SF123456789012", ["SF"]),
    ("SF1234567890", ["SF"]),
    ("SF123456789012345", ["SF"]),
    ("sf1234567890123", ["SF"]),  # scanners and clerks type lower case
    (" SF1234567890123 ", ["SF"]),
    ("ＳＦ１２３４５６７８９０１２３", ["SF"]),  # full width, from a Chinese input method
    ("123456789012", ["SF"]),  # 12 digits, no other carrier's prefix
    # 中通: 14 digits starting 7; legacy 12 digits with 768/765/778/779/719
    ("78636098066239", ["ZTO"]),
    ("73123456789012", ["ZTO"]),
    ("768123456789", ["SF", "ZTO"]),  # 12-digit legacy: 顺丰 or 中通
    # 圆通: YT + 13; YT + 10–16; Y + 12; 18 digits starting 6–9
    ("YT6900634716900", ["YTO"]),
    ("YT1234567890", ["YTO"]),
    ("YT1234567890123456", ["YTO"]),
    ("Y123456789012", ["YTO"]),
    ("612345678901234567", ["YTO"]),
    # 申通: 15 digits starting 77 (and 43), 12 digits starting 268/888/588, STO + 10
    ("773194917396313", ["STO", "YD"]),  # 15 digits starting 77: 申通 or 韵达 77 + 13
    ("431234567890123", ["STO", "YD"]),  # 15 digits starting 43: 申通 or 韵达 (4 + 14)
    ("268123456789", ["SF", "STO"]),  # 12-digit legacy: 顺丰 or 申通
    ("STO1234567890", ["STO"]),
    # 韵达: 15 digits starting 3/4, 13 starting 5; prefixes + 11 (13) or + 14 (16)
    ("5301156237108", ["YD"]),
    ("434567890123456", ["STO", "YD"]),
    ("312345678901234", ["YD"]),
    ("1234567890123", ["YD"]),  # 12 + 11 digits: 韵达, not 邮政 (the silent EMS)
    ("1612345678901234", ["YD"]),  # 16 + 14
    ("5012345678901", ["YD", "EMS"]),  # 13 digits starting 50: 韵达 or 邮政
    ("1012345678901", ["YD", "EMS"]),
    # 邮政: S10 with a valid check digit; domestic 13 digits; 邮政包裹 99/98/96 + 11
    ("EA123456785CN", ["EMS"]),
    ("ea123456785cn", ["EMS"]),
    ("9712345678901", ["EMS"]),
    ("9912345678901", ["EMS"]),
    # 京东: JD + 2 alphanumerics + 11 digits (15), JD + 11–13, JDV/JDX
    ("JDVA12345678901", ["JD"]),
    ("JDVA01234567890", ["JD"]),
    ("JDX0123456789", ["JD"]),
    # 极兔: JT + 13, JT + 10–20
    ("JT0006968326954", ["JTSD"]),
    ("JT12345678901234567890", ["JTSD"]),
    # 德邦: DPK + 12, legacy 8–10 digits
    ("DPK123456789012", ["DBL"]),
    ("12345678", ["DBL"]),
]


@pytest.mark.parametrize(("number", "codes"), CARRIER_NUMBER_TABLE)
def test_the_carrier_number_table(number, codes):
    guesses = guess_carriers(number)
    assert sorted(c.code for c in guesses) == sorted(codes)
    if len(codes) == 1:
        assert guess_carrier(number).code == codes[0]
    else:
        assert guess_carrier(number) is None  # never a silent pick: the clerk chooses among the candidates


@pytest.mark.parametrize(
    ("code", "sample"),
    [
        ("SF", "SF1234567890123"),
        ("ZTO", "78636098066239"),
        ("YTO", "YT6900634716900"),
        ("STO", "773194917396313"),
        ("YD", "5301156237108"),
        ("YD", "434567890123456"),
        ("EMS", "EA123456785CN"),
        ("JD", "JDVA12345678901"),
        ("JTSD", "JT0006968326954"),
        ("DBL", "DPK123456789012"),
    ],
)
def test_every_sample_of_the_table_fits_its_carrier(code, sample):
    assert fits_format(carrier(code), sample)
    assert code in [c.code for c in guess_carriers(sample)]


@pytest.mark.parametrize(
    ("number", "check_digit"),
    # UPU's own example; the sample; 11 - 0 = 11 → 5; 11 - 1 = 10 → 0
    [("AA473124829GB", 9), ("EA123456785CN", 5), ("RR000000005CN", 5), ("CP000600000CN", 0)],
)
def test_s10_check_digit(number, check_digit):
    from orders.carriers import s10_check_digit

    assert s10_check_digit(number[2:10]) == check_digit


def test_an_s10_number_with_a_wrong_check_digit_fits_no_carrier_and_says_why():
    assert guess_carriers("EA123456789CN") == []
    assert not fits_format(carrier("EMS"), "EA123456789CN")
    assert "校验位不对（第 11 位应为 5）" in format_problem(carrier("EMS"), "EA123456789CN")


def test_dhl_ecommerce_numbers_are_not_jd():
    assert guess_carriers("JD" + "1" * 18) == []  # JD + 18 digits is DHL eCommerce


def test_a_format_error_says_what_the_carriers_numbers_look_like():
    assert format_problem(carrier("SF"), "5301156237108") == (
        "快递单号“5301156237108”不符合顺丰速运的单号格式。"
        "顺丰单号为 SF 加 12–13 位数字（旧单号为 12 位数字）。请核对后重新输入。"
    )
    assert format_problem(carrier("SF"), "SF1234567890123") == ""


def test_a_carrier_without_a_hint_still_gets_a_format_error():
    other = Carrier.objects.create(name="小快递", code="XS", tracking_number_pattern=r"XS\d{8}")
    assert format_problem(other, "123") == "快递单号“123”不符合小快递的单号格式。请核对后重新输入。"


@pytest.mark.parametrize("code", ["SF", "ZTO", "YTO", "STO", "YD", "JTSD", "JD", "EMS", "DBL"])
def test_demo_numbers_fit_their_own_carrier(code):
    rng = random.Random(code)
    for _ in range(20):
        number = demo.tracking_number(code, rng)
        assert code in [c.code for c in guess_carriers(number)]
        assert fits_format(carrier(code), number)


@pytest.mark.parametrize("number", ["", "   ", "HELLO", "SF123", "13800138000", "1234567890123456789", "1234567"])
def test_numbers_that_fit_no_carrier_guess_nothing(number):
    assert guess_carriers(number) == []
    assert guess_carrier(number) is None


def test_blank_pattern_never_counts_as_a_guess():
    Carrier.objects.create(name="任意快递", code="ANY", tracking_number_pattern="")
    assert "ANY" not in [c.code for c in guess_carriers("4312345678901")]
    assert "ANY" not in [c.code for c in guess_carriers("SF1234567890123")]


def test_several_matches_come_best_first_and_are_not_a_single_guess():
    Carrier.objects.create(name="宽松快递", code="LOOSE", tracking_number_pattern=r"[A-Z]{2}\d{13}", sort_order=1)
    guesses = guess_carriers("SF1234567890123")
    # The literal prefix SF is more specific than any two letters, whatever the sort order.
    assert [c.code for c in guesses] == ["SF", "LOOSE"]
    assert guess_carrier("SF1234567890123") is None


def test_equal_specificity_falls_back_to_the_carriers_order():
    Carrier.objects.create(name="另一家", code="OTHER", tracking_number_pattern=r"SF\d{13}", sort_order=999)
    assert [c.code for c in guess_carriers("SF1234567890123")] == ["SF", "OTHER"]


def test_inactive_carriers_are_not_guessed():
    Carrier.objects.filter(code="SF").update(is_active=False)
    assert guess_carriers("SF1234567890123") == []


def test_a_preloaded_carrier_list_needs_no_queries(django_assert_num_queries):
    carriers = list(Carrier.objects.all())
    with django_assert_num_queries(0):
        for _ in range(50):
            guess_carriers("SF1234567890123", carriers)


@pytest.mark.parametrize(
    ("pattern", "length"),
    [(r"SF\d{13}", 2), (r"\d{13}", 0), (r"77\d{13}", 2), (r"JD[0-9A-Z]{13}", 2), (r"A?B\d", 0), (r"7{2}\d", 0)],
)
def test_literal_prefix_length(pattern, length):
    assert literal_prefix_length(pattern) == length


def test_specificity_uses_the_alternative_that_matched():
    assert match_specificity(r"\d{13}|EA\d{9}CN", "EA123456785CN") == 2
    assert match_specificity(r"\d{13}|EA\d{9}CN", "1234567890123") == 0
    assert match_specificity("", "anything") is None
    assert match_specificity("(unclosed", "x") is None


@pytest.mark.django_db
def test_full_width_digits_are_normalised_before_guessing():
    assert guess_carriers("ＳＦ０００００００００００４２")[0].code == "SF"


def test_the_formats_migration_updates_only_patterns_still_as_seeded():
    from django.apps import apps

    migration = importlib.import_module("orders.migrations.0012_carrier_number_hint")
    Carrier.objects.filter(code="SF").update(tracking_number_pattern=r"SF\d{13}", tracking_number_hint="")
    # An admin edited 中通's pattern: theirs stays.
    Carrier.objects.filter(code="ZTO").update(tracking_number_pattern=r"7[0-9]{13}", tracking_number_hint="")
    Carrier.objects.filter(code="YD").update(tracking_number_pattern="", tracking_number_hint="")
    Carrier.objects.filter(code="DBL").delete()

    migration.update_formats(apps, None)

    assert carrier("SF").tracking_number_pattern == r"SF\d{10,15}|\d{12}"
    assert carrier("SF").tracking_number_hint.startswith("顺丰单号为 SF 加 12–13 位数字")
    assert (carrier("ZTO").tracking_number_pattern, carrier("ZTO").tracking_number_hint) == (r"7[0-9]{13}", "")
    assert fits_format(carrier("YD"), "5301156237108")
    assert fits_format(carrier("DBL"), "DPK123456789012")
    assert carrier("SF").history.latest().history_change_reason == "按常见单号格式更新"
    migration.update_formats(apps, None)  # twice is harmless
    assert Carrier.objects.filter(code="DBL").count() == 1
