import re

from django import forms

from orders.forms import QuietErrorList, StatusSelect
from orders.widgets import DirectHiddenInput, DirectSelect, DirectTextInput


def test_select_renders_like_django_with_the_value_selected_and_text_escaped():
    widget = DirectSelect(choices=[("", "---------"), (1, "顺丰"), (2, '<b>"坏"</b>')])

    html = widget.render("form-0-carrier", 2, {"id": "id_form-0-carrier"})

    assert html == (
        '<select name="form-0-carrier" id="id_form-0-carrier"><option value="">---------</option>'
        '<option value="1">顺丰</option><option value="2" selected>&lt;b&gt;&quot;坏&quot;&lt;/b&gt;</option></select>'
    )


def test_select_html_parses_the_same_as_djangos():
    choices = [("pending", "待发货"), ("shipped", "已发货")]
    ours = DirectSelect(choices=choices).render("s", "shipped", {"id": "x", "required": True})
    django = forms.Select(choices=choices).render("s", "shipped", {"id": "x", "required": True})

    def normalized(html):
        return re.sub(r">\s+<", "><", html.replace('selected=""', "selected"))

    assert normalized(ours) == normalized(django)


def test_status_select_is_coloured_by_its_value():
    html = StatusSelect(choices=[("pending", "待发货"), ("shipped", "已发货")]).render("s", "shipped")

    assert 'class="status-select status-shipped"' in html


def test_inputs_escape_their_value():
    assert (
        DirectTextInput(attrs={"size": 16}).render("t", '"><script>', {"id": "t1"})
        == '<input type="text" name="t" value="&quot;&gt;&lt;script&gt;" size="16" id="t1">'
    )
    assert DirectHiddenInput().render("v", None) == '<input type="hidden" name="v">'


def test_quiet_error_list_renders_nothing_when_empty_and_the_errors_otherwise():
    assert str(QuietErrorList()) == ""
    html = str(QuietErrorList(["单号格式不对"]))
    assert 'class="errorlist"' in html
    assert "单号格式不对" in html
