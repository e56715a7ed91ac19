import pytest
from django.core.exceptions import ValidationError

from spreadsheets.resources import whole_number


@pytest.mark.parametrize(("typed", "value"), [("0", 0), ("12", 12), ("１２", 12), ("007", 7), ("100", 100)])
def test_whole_numbers_in_ascii_or_full_width_digits(typed, value):
    assert whole_number(typed, "数量", maximum=100) == value


@pytest.mark.parametrize(
    ("typed", "minimum", "message"),
    [
        ("101", 0, "数量“101”太大，最多 100。"),
        ("9" * 40, 0, f"数量“{'9' * 40}”太大，最多 100。"),
        ("9" * 5000, 0, f"数量“{'9' * 5000}”太大，最多 100。"),
        ("0", 1, "数量“0”无效，应为正整数。"),
        ("²", 1, "数量“²”无效，应为正整数。"),
        ("①", 1, "数量“①”无效，应为正整数。"),
        ("1.5", 0, "数量“1.5”无效，应为 0 或正整数。"),
        ("-1", 0, "数量“-1”无效，应为 0 或正整数。"),
        ("", 0, "数量“”无效，应为 0 或正整数。"),
    ],
)
def test_anything_else_is_one_chinese_message(typed, minimum, message):
    with pytest.raises(ValidationError) as refused:
        whole_number(typed, "数量", minimum=minimum, maximum=100)
    assert refused.value.messages == [message]
