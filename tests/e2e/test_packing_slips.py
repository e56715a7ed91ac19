"""发货单 in the browser (issue 18): the barcodes Chromium draws decode back to the numbers, the
label size prints one 76×130 mm page per slip, and the page fits the screen."""

import io
import re

import zxingcpp
from PIL import Image

from orders import services
from orders.admin_views import packing_slips_url
from tests.e2e.support import E2E, OPS_PASSWORD, SCREENSHOTS, log_in, save_screenshot
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = E2E

MM = 72 / 25.4  # PDF points per millimetre


def decoded(png):
    return sorted(result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png))))


def page_sizes_mm(pdf):
    """Every page's /MediaBox of a PDF Chromium printed, in whole millimetres."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return [(round(float(w) / MM), round(float(h) / MM)) for w, h in boxes]


def test_slips_decode_print_on_labels_and_fit_the_screen(chromium, live_server, ops_user):
    cup = ItemFactory(sku="CUP-500", name="保温杯 500ml", initial_stock=20)
    shipped = OrderFactory(order_no="TB20261203001", item=cup, quantity=2, note="送朋友的，不要放价签")
    services.ship_order(shipped, carrier("SF"), sf_number(4242), user=ops_user)
    waiting = [OrderFactory(order_no=f"TB2026120300{n}", item=cup) for n in (2, 3)]
    pks = [shipped.pk, *(order.pk for order in waiting)]

    # Three device pixels per CSS pixel: about what a 203 dpi label printer puts on paper.
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 768}, device_scale_factor=3
    )
    page = context.new_page()
    log_in(page, "ops", OPS_PASSWORD, path=packing_slips_url(pks))
    slip = page.locator(".slip").first
    assert page.locator(".slip").count() == 3
    assert decoded(slip.locator(".slip-codes").screenshot()) == ["SF0000000004242", "TB20261203001"]
    assert decoded(page.locator(".slip").nth(2).locator(".slip-codes").screenshot()) == ["TB20261203003"]

    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(page, "packing-slips-a4")

    page.goto(packing_slips_url(pks, size="label"))
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert page_sizes_mm(pdf) == [(76, 130)] * 3
    page.emulate_media(media="print")
    assert page.locator("#header").is_hidden() and page.locator(".slips-head").is_hidden()
    page.locator(".slip").first.screenshot(path=SCREENSHOTS / "packing-slip-label.png")
    context.close()
