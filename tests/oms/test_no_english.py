"""No English a clerk (运营) or manager (经理) reads: every page linked from their admin index,
and every page linked from those, crawled with DEBUG off, has no common English UI words."""

import html
import json
import re

import pytest
from django.test import Client

from tests.english_words import english_words
from tests.factories import ItemFactory, OrderFactory

pytestmark = pytest.mark.django_db

SKIPPED_LINKS = re.compile(r"/admin/logout/|/admin/jsi18n/|format=|/export/|\.(png|jpg|svg|css|js)$")


def visible_text(page):
    page = re.sub(r"(?s)<(script|style|svg)\b.*?</\1>", " ", page)
    attributes = " ".join(re.findall(r'(?:title|placeholder|aria-label|value)="([^"]*)"', page))
    return html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + attributes)


def admin_links(page):
    links = set(re.findall(r'href="(/admin/[^"#]*)"', page))
    return {html.unescape(link) for link in links if not SKIPPED_LINKS.search(link)}


@pytest.mark.parametrize("role", ["ops", "manager"])
def test_no_english_on_the_pages_of_a_role(request, role, settings):
    settings.DEBUG = False
    user = request.getfixturevalue(f"{role}_user")
    OrderFactory(lines=[(ItemFactory(sku="CUP-500", name="保温杯", initial_stock=5), 1)])
    client = Client()
    client.force_login(user)
    index = client.get("/admin/").content.decode()
    seen, found = set(), {}
    level_one = admin_links(index)
    pages = [("/admin/", index)]
    for url in sorted(level_one):
        response = client.get(url)
        seen.add(url)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            pages.append((url, response.content.decode()))
    for url in sorted({link for _url, page in pages[1:] for link in admin_links(page)} - seen - {"/admin/"}):
        response = client.get(url)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            pages.append((url, response.content.decode()))
    for url, page in pages:
        words = english_words(visible_text(page))
        if words:
            found[url] = words
    assert len(pages) > 10
    assert found == {}


def test_the_admin_javascript_speaks_chinese(clerk_client):
    """The user page's permission picker (filter_horizontal) and the date widgets read this catalog."""
    catalog = clerk_client.get("/admin/jsi18n/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert '"Available %s": "\\u53ef\\u7528 %s"' in catalog or '"Available %s": "可用 %s"' in catalog
    assert "Chosen %s" in catalog and "Today" in catalog  # keys, each with its Chinese value
    page = clerk_client.get("/admin/auth/user/add/").content.decode()
    assert "/admin/jsi18n/" in page


def test_logging_out_says_so_plainly(clerk_client):
    page = clerk_client.post("/admin/logout/").content.decode()
    assert "<h1>已退出登录</h1>" in page and "重新登录" in page and 'href="/admin/login/"' in page
    assert "宝贵时间" not in page  # Django's "Thanks for spending some quality time" in Chinese


def test_the_permission_picker_strings_django_leaves_in_english_are_chinese(clerk_client):
    # locale/zh_Hans/LC_MESSAGES/djangojs.po, merged over Django's own catalog.
    catalog = clerk_client.get("/admin/jsi18n/").content.decode()
    for chinese in ("选择全部%s", "移除全部%s", "添加选中的%s", "移除选中的%s", "然后点击“选择”箭头按钮"):
        assert chinese in catalog or json.dumps(chinese)[1:-1] in catalog, chinese
