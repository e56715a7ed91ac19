import re

from django import forms

from orders.admin.forms import QuietErrorList, ShippedCell, safe_url, tracking_links
from orders.admin.widgets import DirectHiddenInput, DirectSelect, DirectTextInput
from orders.models import Carrier, Parcel


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


def test_tracking_links_only_link_http_urls_and_escape_the_number():
    good = Carrier(pk=1, name="顺丰", code="SF", tracking_url_template="https://t.example/?n={number}")
    evil = Carrier(pk=2, name="坏", code="EV", tracking_url_template="javascript:alert('{number}')")
    parcels = [Parcel(carrier=good, tracking_number="SF1"), Parcel(carrier=evil, tracking_number="<b>2</b>")]

    html = tracking_links(parcels)

    assert 'href="https://t.example/?n=SF1"' in html
    assert "javascript:" not in html and "&lt;b&gt;2&lt;/b&gt;" in html
    assert safe_url("JAVASCRIPT:x") == "" and safe_url("http://a") == "http://a"


def test_shipped_cell_shows_the_parcels_under_the_input_or_alone():
    cell = ShippedCell("SF1", DirectTextInput())
    assert cell.render("n", "") == '<input type="text" name="n"><span class="shipped-cell">SF1</span>'
    assert ShippedCell("").render("n", "") == "-"


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
