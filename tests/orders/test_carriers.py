import random

import pytest

from orders import demo
from orders.carriers import guess_carrier, guess_carriers, literal_prefix_length, match_specificity
from orders.models import Carrier
from tests.factories import carrier

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("SF1234567890123", "SF"),
        ("sf1234567890123", "SF"),  # scanners and clerks type lower case
        (" SF1234567890123 ", "SF"),
        ("73123456789012", "ZTO"),  # 7 + 13 digits
        ("YT1234567890123", "YTO"),
        ("771234567890123", "STO"),  # a 15-digit number starting 77 is 申通
        ("JT1234567890123", "JTSD"),
        ("JDVA01234567890", "JD"),
        ("1234567890123", "EMS"),
        ("EA123456789CN", "EMS"),
    ],
)
def test_real_format_numbers_guess_their_carrier(number, code):
    assert [c.code for c in guess_carriers(number)] == [code]
    assert guess_carrier(number).code == code


@pytest.mark.parametrize("code", ["SF", "ZTO", "YTO", "STO", "JTSD", "JD"])
def test_demo_numbers_guess_their_own_carrier(code):
    rng = random.Random(code)
    for _ in range(20):
        assert guess_carrier(demo.tracking_number(code, rng)).code == code


@pytest.mark.parametrize("number", ["", "   ", "HELLO", "SF123", "13800138000", "1234567890123456789"])
def test_numbers_that_fit_no_carrier_guess_nothing(number):
    assert guess_carriers(number) == []
    assert guess_carrier(number) is None


def test_blank_pattern_never_counts_as_a_guess():
    assert carrier("YD").tracking_number_pattern == ""
    assert "YD" not in [c.code for c in guess_carriers("4312345678901")]


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
    assert match_specificity(r"\d{13}|EA\d{9}CN", "EA123456789CN") == 2
    assert match_specificity(r"\d{13}|EA\d{9}CN", "1234567890123") == 0
    assert match_specificity("", "anything") is None
    assert match_specificity("(unclosed", "x") is None


@pytest.mark.django_db
def test_full_width_digits_are_normalised_before_guessing():
    assert guess_carriers("ＳＦ０００００００００００４２")[0].code == "SF"
