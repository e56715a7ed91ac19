"""扫码发货 and 复制 in headless Chromium, keyboard only, plus the 50-order scan benchmark."""

import datetime
import json
import os
import statistics
from pathlib import Path

import pytest
from django.utils import timezone

from orders.models import Order, Parcel, ReceiverReveal
from tests.factories import ItemFactory, OrderFactory, sf_number

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]  # keep the migrated carriers

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Installed before any page script: records each Enter in the scan field and the moment the
# next order is on screen, and every tone the page plays.
PROBE = """
window.__scan = {times: [], tones: [], t0: null, shown: null};
document.addEventListener("keydown", function (e) {
  if (e.key === "Enter" && e.target && e.target.id === "scan-input") { window.__scan.t0 = performance.now(); }
}, true);
new MutationObserver(function () {
  var card = document.getElementById("scan-order");
  var shown = card ? card.getAttribute("data-order-no") : null;
  if (shown !== window.__scan.shown) {
    if (window.__scan.t0 !== null) { window.__scan.times.push(performance.now() - window.__scan.t0); }
    window.__scan.t0 = null;
    window.__scan.shown = shown;
  }
}).observe(document, {childList: true, subtree: true, attributes: true, attributeFilter: ["data-order-no"]});
(function () {
  var Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) { return; }
  var create = Ctx.prototype.createOscillator;
  Ctx.prototype.createOscillator = function () {
    var osc = create.call(this);
    var start = osc.start.bind(osc);
    osc.start = function (when) {
      window.__scan.tones.push({type: osc.type, frequency: osc.frequency.value});
      return start(when);
    };
    return osc;
  };
})();
"""


@pytest.fixture
def browser(chromium):
    # The session's one browser (tests/browser.py): a second sync Playwright would refuse to start.
    return chromium


@pytest.fixture
def base_url(live_server):
    # The desk runs on plain http at 127.0.0.1: the clipboard and audio must work there.
    return live_server.url.replace("localhost", "127.0.0.1")


@pytest.fixture
def page(browser, base_url, clerk):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    context.add_init_script(PROBE)
    page = context.new_page()
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", "pw-clerk-123")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/admin/")
    yield page
    context.close()


def aged(minutes, **kwargs):
    return OrderFactory(created_at=timezone.now() - datetime.timedelta(minutes=minutes), **kwargs)


def scan(page, code):
    """Type like a scanner: the characters, then Enter. Waits until the page has answered."""
    before = page.evaluate("window.__scan.times.length + '|' + document.getElementById('scan-status').textContent")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "b => (window.__scan.times.length + '|' + document.getElementById('scan-status').textContent) !== b", arg=before
    )


def shown(page):
    return page.get_attribute("#scan-order", "data-order-no")


def status(page):
    return page.text_content("#scan-status").strip()


def focused(page):
    """The focused element's id, once the page has settled focus (it refocuses the field in a task)."""
    page.wait_for_function("document.activeElement && document.activeElement.id === 'scan-input'", timeout=2000)
    return page.evaluate("document.activeElement.id")


def test_scan_flow_by_keyboard_alone(page, base_url, ledger_is_consistent):
    item = ItemFactory(initial_stock=10)
    oldest = aged(60, order_no="E2E-OLD", item=item)
    aged(50, order_no="E2E-YD", item=item, receiver_name="王五")
    short = aged(40, order_no="E2E-SHORT", item=ItemFactory(initial_stock=1), quantity=2, receiver_name="赵六")
    lid = ItemFactory(sku="E2E-LID", initial_stock=10)
    picked = aged(30, order_no="E2E-PICK", lines=[(item, 3), (lid, 1)], receiver_name="李四")

    page.goto(f"{base_url}/admin/orders/order/scan/")
    assert shown(page) == "E2E-OLD"
    assert focused(page) == "scan-input"
    page.keyboard.press("Tab")  # focus never leaves the field
    assert focused(page) == "scan-input"

    # Scan an order number: that order comes up.
    scan(page, "E2E-PICK")
    assert shown(page) == "E2E-PICK"
    assert "已切换到订单 E2E-PICK" in status(page)
    assert page.locator("#scan-lines tbody tr").count() == 2  # every line of the order
    assert "E2E-LID" in page.text_content("#scan-lines")

    # Scan its waybill: shipped with the guessed carrier, stock down, the next (oldest) order up.
    scan(page, sf_number(1))
    assert shown(page) == "E2E-OLD"
    assert "已发货：订单 E2E-PICK · 顺丰速运" in status(page)
    assert page.get_attribute("#scan-app", "data-state") == "shipped"
    picked.refresh_from_db()
    item.refresh_from_db()
    parcel = Parcel.objects.get(tracking_number=sf_number(1))
    assert (picked.status, parcel.carrier.code, parcel.lines.count(), item.stock) == ("shipped", "SF", 2, 7)
    assert page.evaluate("window.__scan.tones.map(t => t.frequency)")[-2:] == [880, 1320]
    assert focused(page) == "scan-input"

    # A wrong number: an error next to the field, in red, and nothing changes.
    scan(page, "SF123")
    assert page.get_attribute("#scan-app", "data-state") == "error"
    assert "不是订单号" in status(page) or "不像快递单号" in status(page)
    assert page.evaluate("window.__scan.tones.at(-1).type") == "square"
    colour = page.evaluate("getComputedStyle(document.getElementById('scan-status')).color")
    assert colour == "rgb(183, 28, 28)"
    assert shown(page) == "E2E-OLD"
    assert Order.objects.get(pk=oldest.pk).status == "pending"

    # Not enough stock.
    scan(page, "E2E-SHORT")
    scan(page, sf_number(2))
    assert "库存不足" in status(page)
    assert shown(page) == "E2E-SHORT"
    short.refresh_from_db()
    assert short.status == "pending"

    # Undo the last shipment with Ctrl+Z: stock back, that order on screen again.
    page.keyboard.press("Control+z")
    page.wait_for_function("document.getElementById('scan-status').textContent.includes('已撤销')")
    assert shown(page) == "E2E-PICK"
    picked.refresh_from_db()
    item.refresh_from_db()
    parcel.refresh_from_db()
    assert (picked.status, parcel.status, item.stock) == ("pending", "voided", 10)

    # A number no pattern decides: pick the carrier with a number key.
    scan(page, "E2E-YD")
    scan(page, "5012345678901")  # 13 digits starting 50: 韵达 or 邮政
    assert page.get_attribute("#scan-app", "data-state") == "choose"
    assert "韵达快递" in page.text_content("#scan-candidates")
    page.keyboard.press("1")
    page.wait_for_function("document.getElementById('scan-status').textContent.includes('已发货')")
    assert Parcel.objects.get(lines__line__order__order_no="E2E-YD").carrier.code == "YD"
    assert focused(page) == "scan-input"
    ledger_is_consistent()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scan-page.png"))


def test_two_orders_of_one_receiver_scanned_with_one_number_are_one_parcel(page, base_url, ledger_is_consistent):
    first = aged(60, order_no="E2E-M1")
    second = aged(50, order_no="E2E-M2", quantity=2)
    aged(40, order_no="E2E-NEXT", receiver_name="李四")

    page.goto(f"{base_url}/admin/orders/order/scan/")
    assert shown(page) == "E2E-M1"
    assert "E2E-M2（2 件）" in page.text_content("#scan-merge")  # the merge hint
    scan(page, sf_number(7))
    assert shown(page) == "E2E-M2"
    scan(page, sf_number(7))

    assert f"已发货：订单 E2E-M2 · 顺丰速运 {sf_number(7)}（已与订单 E2E-M1 合并为一个包裹）" in status(page)
    assert shown(page) == "E2E-NEXT"
    parcel = Parcel.objects.get()
    assert parcel.lines.count() == 2
    assert {Order.objects.get(pk=o.pk).status for o in (first, second)} == {"shipped"}
    assert "订单 E2E-M1、E2E-M2" in page.text_content("#scan-undo")
    assert no_sideways_scroll(page)
    ledger_is_consistent()


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 1280, "height": 720}])
def test_scan_and_paste_pages_fit_the_screen(page, base_url, viewport):
    page.set_viewport_size(viewport)
    cup = ItemFactory(sku="E2E-CUP-LONG-SKU-0001", name="超长的产品名称" * 6, initial_stock=10)
    aged(60, order_no="E2E-FIT", lines=[(cup, 2), (ItemFactory(initial_stock=5), 1), (ItemFactory(initial_stock=5), 3)])
    aged(50, order_no="E2E-FIT2")
    aged(40, order_no="E2E-FIT3", receiver_name="李四", address="上海市浦东新区张杨路 100 号" * 4)
    page.goto(f"{base_url}/admin/orders/order/scan/")
    assert no_sideways_scroll(page)
    ARTIFACTS.mkdir(exist_ok=True)
    size = f"{viewport['width']}x{viewport['height']}"
    page.screenshot(path=str(ARTIFACTS / f"scan-page-{size}.png"))

    page.goto(f"{base_url}/admin/orders/order/paste/")
    page.fill(
        "textarea[name=text]",
        f"订单号\t快递单号\nE2E-FIT\t{sf_number(1)}\nE2E-FIT2\t{sf_number(1)}\nE2E-FIT3\t{sf_number(1)}\nNOPE\t{sf_number(2)}",
    )
    page.click("button[name=preview]")
    page.wait_for_selector("#paste-preview")
    assert "合并发货：与订单 E2E-FIT2（第 3 行）装入同一个包裹" in page.text_content("#paste-preview")
    assert "已用于订单 E2E-FIT（收货人不同）" in page.text_content("#paste-preview")
    assert "没有找到已存在的订单号" in page.text_content("#paste-preview")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / f"paste-preview-{size}.png"), full_page=True)


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_copy_fetches_the_full_details_and_logs_the_reveal(page, base_url, clerk):
    order = OrderFactory(receiver_phone="13812345678", address="上海市浦东新区张杨路 100 号")
    page.goto(f"{base_url}/admin/orders/order/")
    assert "13812345678" not in page.content()
    assert "138****5678" in page.text_content("#result_list")
    page.click(".copy-btn")
    page.wait_for_selector(".copy-btn.copied")
    assert page.evaluate("navigator.clipboard.readText()") == "张三 13812345678 上海市浦东新区张杨路 100 号"
    reveal = ReceiverReveal.objects.get()
    assert (reveal.order_id, reveal.user_id, reveal.how) == (order.pk, clerk.pk, "copy")


def test_benchmark_ship_50_orders_by_scanning(page, base_url, ledger_is_consistent):
    item, extra = ItemFactory(initial_stock=100), ItemFactory(initial_stock=100)
    # A third of the orders with two lines, as in a real shop: each scan ships the whole order.
    orders = [
        aged(
            500 - i,
            order_no=f"BENCH{i:03d}",
            lines=[(item, 1), (extra, 1)] if i % 3 == 0 else [(item, 1)],
            receiver_name=f"收货人{i}",
        )
        for i in range(51)
    ]
    page.goto(f"{base_url}/admin/orders/order/scan/")
    for i, order in enumerate(orders[:50]):
        assert shown(page) == order.order_no, status(page)
        scan(page, sf_number(1000 + i))
    assert shown(page) == orders[50].order_no
    times = page.evaluate("window.__scan.times")
    assert len(times) == 50
    assert Order.objects.filter(status="shipped").count() == 50
    item.refresh_from_db()
    extra.refresh_from_db()
    assert (item.stock, extra.stock) == (50, 100 - len(range(0, 50, 3)))
    ledger_is_consistent()
    ordered = sorted(times)
    median, p95 = statistics.median(ordered), ordered[round(0.95 * len(ordered)) - 1]
    report = {
        "orders": 50,
        "median_ms": round(median, 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ordered[-1], 1),
        "database": os.environ.get("DATABASE_URL", "sqlite").split("@")[-1],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "scan-benchmark.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print("scan benchmark:", report)
    assert median < 300, report
