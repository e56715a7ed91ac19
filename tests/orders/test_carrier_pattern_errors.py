import pytest
from django.core.exceptions import ValidationError

from orders.models import Carrier


@pytest.mark.parametrize("pattern", [r"SF(\d{13}", r"[0-9", r"*\d", r"\d{2,1}"])
def test_a_broken_pattern_is_refused_in_chinese(pattern):
    carrier = Carrier(name="测试", code="T", tracking_url_template="https://example.com/{number}")
    carrier.tracking_number_pattern = pattern
    with pytest.raises(ValidationError) as refused:
        carrier.clean()
    [message] = refused.value.message_dict["tracking_number_pattern"]
    assert message.startswith("不是有效的正则表达式：第 ") and "个字符附近有误" in message
    assert not any(word in message for word in ("missing", "unterminated", "position", "nothing to repeat"))
