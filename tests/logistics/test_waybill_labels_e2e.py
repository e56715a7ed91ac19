"""The label print page in Chromium (issue 18): three stored labels print as three pages of 76×130 mm,
with the images served by us, and the page fits the screen at 1366 and 1280."""

from logistics.label_views import labels_url
from tests.e2e.support import E2E, SCREENSHOTS, log_in, save_screenshot
from tests.e2e.test_packing_slips import page_sizes_mm
from tests.logistics.test_waybill_labels import ship_with_waybills
from tests.role_fixtures import staff_in

pytestmark = E2E


def test_three_labels_print_as_three_label_pages(courier, sender, clerk, chromium, live_server, django_user_model):
    from accounts.roles import OPS

    staff_in(django_user_model, "ops", OPS)
    orders = ship_with_waybills(clerk, 3)
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    external = []
    page.on(
        "request", lambda request: None if request.url.startswith(live_server.url) else external.append(request.url)
    )
    log_in(page, "ops", "pw-ops-123", path=labels_url(order_pks=[order.pk for order in orders]))

    images = page.locator(".label img")
    assert images.count() == 3
    page.wait_for_function("[...document.querySelectorAll('.label img')].every(img => img.complete)")
    assert page.evaluate("[...document.querySelectorAll('.label img')].every(img => img.naturalWidth > 0)")
    assert external == []
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(page, "waybill-labels")

    pdf = page.pdf(prefer_css_page_size=True)
    assert page_sizes_mm(pdf) == [(76, 130)] * 3
    (SCREENSHOTS / "waybill-labels.pdf").write_bytes(pdf)
    context.close()
