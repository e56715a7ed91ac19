"""What a clerk (运营) and a manager (经理) read in Chromium is Chinese: every page linked from the
admin index, as rendered (JavaScript widgets included), DEBUG off. And the superuser's
permission picker on the user page, which Django's JavaScript draws from the admin's catalog."""

import re

import pytest

from tests.e2e.support import E2E, MANAGER_PASSWORD, OPS_PASSWORD, log_in
from tests.english_words import english_words
from tests.factories import ItemFactory, OrderFactory

pytestmark = E2E

SKIPPED = re.compile(r"/admin/logout/|/admin/jsi18n/|format=|/export/")
# The text a person reads, and the words a tooltip, placeholder or button value shows.
READABLE = """() => [document.title, document.body.innerText,
    ...Array.from(document.querySelectorAll('[title],[placeholder],input[type=submit],input[type=button]'),
                  e => [e.title, e.placeholder, e.type === 'submit' || e.type === 'button' ? e.value : ''].join(' '))
].join(' ')"""


def index_links(page):
    hrefs = page.eval_on_selector_all(
        "#content-main a[href^='/admin/'], #header a[href^='/admin/']", "l => l.map(a => a.getAttribute('href'))"
    )
    return sorted({href for href in hrefs if not SKIPPED.search(href)})


@pytest.mark.parametrize("role", ["ops", "manager"])
def test_every_page_of_a_role_reads_chinese(request, page, role):
    user = request.getfixturevalue("ops_user" if role == "ops" else "manager")
    OrderFactory(lines=[(ItemFactory(sku="CUP-500", name="保温杯", initial_stock=5), 1)])
    log_in(page, user.username, OPS_PASSWORD if role == "ops" else MANAGER_PASSWORD)
    found = {"/admin/": english_words(page.evaluate(READABLE))}
    links = index_links(page)
    assert len(links) >= 5, links
    for href in links:
        page.goto(href)
        found[href] = english_words(page.evaluate(READABLE))
    assert {href: words for href, words in found.items() if words} == {}


def test_the_permission_picker_on_the_user_page_is_chinese(page, django_user_model, ops_user):
    django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    log_in(page, "boss", "pw-boss-123", f"/admin/auth/user/{ops_user.pk}/change/")
    picker = page.locator(".selector").first
    picker.wait_for()
    text = picker.inner_text()
    assert "可用" in text and "选中的" in text, text
    assert english_words(text) == [], text
