"""Scale benchmark: a million orders in MariaDB, our admin against a plain Django admin.

    DATABASE_URL=mysql://root@127.0.0.1:3306/oms_scale python bench/scale.py --reuse

Loads N orders (default 1,000,000) into the database named by DATABASE_URL (default
oms_scale; it is dropped and re-created unless --reuse finds it loaded), then times each page
server-side with Django's test client, for our OrderAdmin and for the baseline in
bench/plain_admin.py, and reports median / p95 milliseconds, queries per request and the
ratio ours/plain. --ship also times the shipping signal under load. See docs/BENCHMARKS.md.
"""

import argparse
import logging
import math
import multiprocessing
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the project (devdata, oms, orders) on the path
    sys.path.insert(0, str(ROOT))
DEFAULT_URL = "mysql://root@127.0.0.1:3306/oms_scale"


def setup_django():
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    # Timed as in production: DEBUG off (no SQL log kept, cached templates).
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    # Production serves hashed static files collected here (see run_pages).
    os.environ.setdefault("DJANGO_STATIC_ROOT", str(Path(tempfile.gettempdir()) / "oms_bench_static"))
    import django

    django.setup()


def ensure_database(fresh):
    """Create the benchmark database (dropping it first if `fresh`: bench databases only)."""
    from devdata.db import create_database

    try:
        return create_database(os.environ.get("DATABASE_URL", DEFAULT_URL), fresh=fresh)
    except ValueError as exc:
        sys.exit(str(exc))


# ---------------------------------------------------------------- pages


@dataclass
class Sample:
    """Values the pages need, read once from the loaded data."""

    shipped_order_id: int
    order_no: str
    tracking_number: str
    receiver_phone: str
    receiver_name: str
    user_id: int
    month_ago: str = ""


@dataclass
class Page:
    name: str
    path: object  # callable(sample) -> path, or a plain path
    method: str = "get"
    post_data: object = None  # callable(client, site) -> dict, rebuilt before every request
    sites: tuple = ("ours", "plain")
    headers: dict = field(default_factory=dict)
    expect: int = 0  # the status a timed request must answer (default: 200, or 302 for a POST)

    @property
    def expected_status(self):
        return self.expect or (302 if self.method == "post" else 200)

    def url(self, sample):
        return self.path(sample) if callable(self.path) else self.path


LIST = "/admin/orders/order/"


class _FormFields(HTMLParser):
    """The fields a browser would post back from a page's form (inputs, selected options, textareas)."""

    def __init__(self):
        super().__init__()
        self.fields, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("checkbox", "radio", "submit", "file"):
            self.fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def editable_row_post(client, site):
    """The one-row list save: the default list's form posted back with row 0's carrier and a new number typed.

    Built from the page itself, so it follows whatever fields the list's form has; that one row
    ships (a whole order in one parcel), the other 49 are posted unchanged.
    """
    import re

    from orders import demo
    from orders.models import Carrier

    page = client.get(LIST, secure=True)
    parser = _FormFields()
    parser.feed(page.content.decode())
    data = {
        name: value
        for name, value in parser.fields.items()
        if name.startswith("form-") or name == "csrfmiddlewaretoken"
    }
    if "form-TOTAL_FORMS" not in data:
        raise LookupError("no list_editable form on the list page yet")
    carrier_field = next((n for n in data if re.fullmatch(r"form-0-\w*carrier\w*", n)), None)
    number_field = next((n for n in data if re.fullmatch(r"form-0-\w*(tracking|number)\w*", n)), None)
    if carrier_field is None or number_field is None:
        raise LookupError("the list's rows have no carrier and number fields yet")
    sf = Carrier.objects.get(code="SF")
    data[carrier_field] = sf.pk
    data[number_field] = demo.tracking_number("SF", random.Random(time.time_ns()))
    data["_save"] = "保存"
    return data


def scan_url(sample):
    from django.urls import reverse

    return reverse("admin:orders_order_scan")


def scan_post(client, site):
    """One scan of a new SF number at the desk, as scan.js posts it: it ships the order on the desk.

    The desk shows the oldest open order; the answer (200, not a redirect, with X-Scan-Fetch) is
    the desk page of the next one, so one request is one order shipped. A refusal answers 422.
    """
    from orders import demo
    from orders.desk import scan

    current = scan.next_open_order()
    return {"code": demo.tracking_number("SF", random.Random(time.time_ns())), "current": current.pk}


def report_url(sample):
    from django.urls import reverse

    return reverse("admin:shipping_report")


# One line per page; a page that is not on this branch yet (e.g. the report) is skipped.
PAGES = [
    Page("order list, default 未发货", LIST),
    Page("order list, all orders", LIST + "?ship_status=all"),
    Page("order list, 待发货", LIST + "?ship_status=pending"),
    Page("order list, 部分发货", LIST + "?ship_status=partial"),
    Page("order list, 已超时 (ship-by)", LIST + "?ship_by=overdue"),
    Page("order list, 已发货", LIST + "?ship_status=shipped"),
    Page("order list, 已取消", LIST + "?ship_status=cancelled"),
    Page("order list, 未发货 缺货", LIST + "?stock=short", sites=("ours",)),
    Page("order list, 未发货 有货", LIST + "?stock=in_stock", sites=("ours",)),
    Page("search, exact order number", lambda s: f"{LIST}?q={s.order_no}"),
    Page("search, exact tracking number", lambda s: f"{LIST}?q={s.tracking_number}"),
    Page("search, receiver phone", lambda s: f"{LIST}?q={s.receiver_phone}"),
    Page("search, receiver name", lambda s: f"{LIST}?q={quote(s.receiver_name)}"),
    Page("order list, page 500", LIST + "?ship_status=all&p=500"),
    Page("change page", lambda s: f"{LIST}{s.shipped_order_id}/change/"),
    # The plain admin has no list_editable: Order has no field a row could ship with.
    Page(
        "list_editable save (POST), one row shipped", LIST, method="post", post_data=editable_row_post, sites=("ours",)
    ),
    Page(
        "scan desk, one scan ships one order (POST)",
        scan_url,
        method="post",
        post_data=scan_post,
        sites=("ours",),
        headers={"X-Scan-Fetch": "1"},
        expect=200,
    ),
    # The dashboard is ours alone: the plain site's index would be Django's app list.
    Page("admin index / dashboard", "/admin/", sites=("ours",)),
    Page("shipping report, today", report_url, sites=("ours",)),
    Page("shipping report, last 30 days", lambda s: f"{report_url(s)}?date_from={s.month_ago}", sites=("ours",)),
]


@dataclass
class Result:
    page: str
    site: str
    times: list = field(default_factory=list)
    cpu: list = field(default_factory=list)  # this process's CPU time: the Python side, less noisy
    queries: int = 0
    status: int = 0
    error: str = ""

    @property
    def median(self):
        return statistics.median(self.times) if self.times else math.nan

    @property
    def cpu_median(self):
        return statistics.median(self.cpu) if self.cpu else math.nan

    @property
    def p95(self):
        if not self.times:
            return math.nan
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def pick_sample():
    """A shipped order from the second half of the year, with its live parcel's number."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from orders.models import Order, ParcelLine

    last = Order.objects.order_by("-id").values_list("id", flat=True).first()
    shipped = (
        ParcelLine.objects.filter(line__order_id__gte=last // 2, parcel__live_number__isnull=False)
        .order_by("line__order_id")
        .values(
            "line__order_id",
            "line__order__order_no",
            "line__order__receiver_phone",
            "line__order__receiver_name",
            "parcel__tracking_number",
        )
        .first()
    )
    return Sample(
        shipped_order_id=shipped["line__order_id"],
        order_no=shipped["line__order__order_no"],
        tracking_number=shipped["parcel__tracking_number"],
        receiver_phone=shipped["line__order__receiver_phone"],
        receiver_name=shipped["line__order__receiver_name"],
        user_id=get_user_model().objects.get(username="bench").pk,
        month_ago=(timezone.localdate() - timedelta(days=30)).isoformat(),
    )


def measure(page, site, sample, client, repeat, budget, timeout):
    """Time `page` on `site`: one warm-up, then up to `repeat` requests within about `budget` seconds.

    A statement running longer than `timeout` seconds is stopped by the server (MariaDB's
    max_statement_time, this session only) and the page reported as slower than that.
    """
    from django.db import OperationalError, connection, reset_queries
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import NoReverseMatch

    result = Result(page.name, site)
    urlconf = "bench.plain_urls" if site == "plain" else "oms.urls"
    with override_settings(ROOT_URLCONF=urlconf, ALLOWED_HOSTS=["testserver"]):
        try:
            url = page.url(sample)
        except NoReverseMatch:
            result.error = "not on this branch"
            return result
        spent = 0.0
        runs = 0
        # One warm-up request, then `repeat` timed ones (fewer if a page is very slow).
        while runs <= repeat:
            try:
                data = page.post_data(client, site) if page.post_data else None
            except LookupError as exc:  # the page's form is not on this branch (yet)
                result.error = str(exc)
                return result
            except Exception as exc:  # the list page it is read from fails
                result.error = f"fails: {type(exc).__name__}: {str(exc)[:60]}"
                return result
            reset_queries()  # the query log keeps 9,000 entries; start each request empty
            with CaptureQueriesContext(connection) as captured:
                began, cpu_began = time.perf_counter(), time.process_time()
                try:
                    # secure: production is HTTPS-only (plain HTTP is redirected).
                    if page.method == "post":
                        response = client.post(url, data, secure=True, headers=page.headers)
                    else:
                        response = client.get(url, secure=True, headers=page.headers)
                except OperationalError as exc:
                    if "max_statement_time" not in str(exc):
                        raise
                    result.error = f"over {timeout:.0f} s (query stopped)"
                    return result
                except Exception as exc:  # a page another branch is still rewriting: say so, time the rest
                    result.error = f"fails: {type(exc).__name__}: {str(exc)[:60]}"
                    return result
                elapsed = (time.perf_counter() - began) * 1000
                cpu = (time.process_time() - cpu_began) * 1000
            result.status = response.status_code
            if response.status_code != page.expected_status:
                result.error = f"HTTP {response.status_code}"
                return result
            # A request slower than `budget` is not warming anything up: it is the one sample.
            if runs or elapsed / 1000 > budget:
                result.times.append(elapsed)
                result.cpu.append(cpu)
                result.queries = len(captured)
                spent += elapsed / 1000
            runs += 1
            if spent > budget and (runs >= 4 or elapsed / 1000 > budget):
                break
    return result


def run_pages(args):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("collectstatic", interactive=False, verbosity=0)
    if args.per_page:  # queries per page must not grow with the rows shown: time 50 and 100 rows
        from django.contrib import admin

        from bench import plain_admin
        from orders.models import Order

        for site in (admin.site, plain_admin.site):
            site._registry[Order].list_per_page = args.per_page
    # A stopped query is reported in the table; Django's request log would repeat it.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    sample = pick_sample()
    user = get_user_model().objects.get(pk=sample.user_id)
    client = Client()
    client.force_login(user)
    results = []
    wanted = set(args.sites.split(","))
    for page in PAGES:
        if args.pages and not any(word in page.name for word in args.pages.split(",")):
            continue
        for site in page.sites:
            if site not in wanted:
                continue
            with connection.cursor() as cursor:
                cursor.execute("SET SESSION max_statement_time = %s", [args.timeout])
            result = measure(page, site, sample, client, args.repeat, args.budget, args.timeout)
            results.append(result)
            note = result.error or (
                f"median {result.median:8.1f} ms  p95 {result.p95:8.1f} ms  cpu {result.cpu_median:6.1f} ms  "
                f"{result.queries:3} queries  n={len(result.times)}"
            )
            print(f"  {site:5} {page.name:32} {note}", flush=True)
    return results


def print_table(results):
    by_page = {}
    for result in results:
        by_page.setdefault(result.page, {})[result.site] = result
    print()
    print(
        "| page | ours median / p95 ms | ours queries | ours CPU ms | plain median / p95 ms | plain queries "
        "| plain CPU ms | ours / plain |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, sites in by_page.items():
        ours, plain = sites.get("ours"), sites.get("plain")

        def cell(r):
            if r is None:
                return "–", "–", "–"
            if r.error:
                return r.error, "–", "–"
            return f"{r.median:.0f} / {r.p95:.0f}", str(r.queries), f"{r.cpu_median:.0f}"

        ratio = "–"
        if ours and plain and ours.times and plain.times and not (ours.error or plain.error):
            ratio = f"{ours.median / plain.median:.2f} ({plain.median / ours.median:.0f}× faster)"
        print(f"| {name} | {' | '.join(cell(ours))} | {' | '.join(cell(plain))} | {ratio} |")


# ---------------------------------------------------------------- shipping under load


def _make_pending(item_ids, count, tag):
    """`count` new pending one-line orders spread over `item_ids`, added by services.create_orders."""
    from django.utils import timezone

    from orders import demo, services
    from orders.models import Order, OrderLine

    rng = random.Random(tag)
    stamp = time.strftime("%H%M%S")
    now = timezone.now()
    drafts = [
        (
            Order(
                order_no=f"BS{tag}{stamp}{n:05d}",
                receiver_name=demo.person_name(rng),
                receiver_phone=demo.phone(rng),
                address=demo.address(rng),
                created_at=now,
            ),
            [OrderLine(item_id=item_ids[n % len(item_ids)], quantity=1)],
        )
        for n in range(count)
    ]
    return [order.pk for order in services.create_orders(drafts)]


def _restock(item_ids, needed, user):
    from inventory.models import InventoryItem, StockMovement
    from inventory.services import adjust_stock

    for item in InventoryItem.objects.filter(pk__in=item_ids):
        adjust_stock(item, needed, StockMovement.Reason.RECEIVE, user=user, note="压测补货")


def ship_orders(order_ids, seed):
    """Ship each order through orders.services.ship_order; returns (shipped, refused)."""
    from django.contrib.auth import get_user_model

    from orders import demo, services
    from orders.models import Carrier, Order

    # Fresh numbers every run: the duplicate-number guard refuses one already used.
    rng = random.Random(f"{seed}-{time.time_ns()}")
    user = get_user_model().objects.get(username="bench")
    carriers = list(Carrier.objects.filter(is_active=True))
    shipped = refused = 0
    for order_id in order_ids:
        order = Order.objects.get(pk=order_id)
        carrier = rng.choice(carriers)
        try:
            services.ship_order(order, carrier, demo.tracking_number(carrier.code, rng), user=user)
            shipped += 1
        except (services.InsufficientStock, services.ShipmentRefused):
            refused += 1
    return shipped, refused


def _ship_worker(args):
    setup_django()
    order_ids, seed = args
    began = time.perf_counter()
    shipped, refused = ship_orders(order_ids, seed)
    return shipped, refused, time.perf_counter() - began


def run_shipping(count=1000, processes=4, shared_items=10):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from inventory.models import InventoryItem
    from inventory.selectors import items_with_ledger_drift

    user = get_user_model().objects.get(username="bench")
    rng = random.Random(7)
    all_items = list(InventoryItem.objects.order_by("id").values_list("id", flat=True)[:20000])

    # 1. One after another: `count` orders on random items.
    item_ids = rng.sample(all_items, 200)
    _restock(item_ids, count, user)
    ids = _make_pending(item_ids, count, "S")
    began = time.perf_counter()
    shipped, refused = ship_orders(ids, seed=1)
    elapsed = time.perf_counter() - began
    print(f"  sequential: {shipped} shipped, {refused} refused in {elapsed:.1f}s = {shipped / elapsed:.0f} orders/s")
    sequential = (shipped, refused, elapsed)

    # 2. `processes` processes at once, all orders on the same few items (row-lock contention).
    shared = rng.sample(all_items, shared_items)
    _restock(shared, count, user)
    before = dict(InventoryItem.objects.filter(pk__in=shared).values_list("id", "stock"))
    ids = _make_pending(shared, count, "C")
    chunks = [(ids[n::processes], n) for n in range(processes)]
    connection.close()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        began = time.perf_counter()
        outcomes = pool.map(_ship_worker, chunks)
        elapsed = time.perf_counter() - began
    shipped = sum(o[0] for o in outcomes)
    refused = sum(o[1] for o in outcomes)
    print(
        f"  {processes} processes on {shared_items} shared items: {shipped} shipped, {refused} refused "
        f"in {elapsed:.1f}s = {shipped / elapsed:.0f} orders/s"
    )
    after = dict(InventoryItem.objects.filter(pk__in=shared).values_list("id", "stock"))
    taken = sum(before.values()) - sum(after.values())
    print(f"  shared items' stock went down by {taken} (shipped {shipped} × 1)")

    drift = list(items_with_ledger_drift())
    print(f"  items whose stock differs from their ledger: {len(drift)}")
    call_command("verify_stock")
    return {"sequential": sequential, "concurrent": (shipped, refused, elapsed), "drift": len(drift), "taken": taken}


# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders to load (default 1,000,000)")
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--verify", action="store_true", help="run verify_stock on the data before timing")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (after one warm-up)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per page before fewer repeats")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds before a query is stopped")
    parser.add_argument("--sites", default="ours,plain", help="ours, plain or both")
    parser.add_argument("--pages", default="", help="only pages whose name contains one of these words")
    parser.add_argument("--per-page", type=int, default=0, help="rows per list page (default: the admin's 50)")
    parser.add_argument("--ship", action="store_true", help="also time shipping under load")
    parser.add_argument("--no-pages", action="store_true", help="skip the page timings")
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    reuse_ok = args.reuse
    name = ensure_database(fresh=False)
    setup_django()
    from django.core.management import call_command

    from orders.models import Order

    call_command("migrate", verbosity=0)
    loaded = Order.objects.exists()
    if not (reuse_ok and loaded):
        if loaded:
            from django.db import connection

            connection.close()
            ensure_database(fresh=True)
            call_command("migrate", verbosity=0)
        from bench.load import load

        print(f"loading {args.orders:,} orders into {name} …", flush=True)
        began = time.monotonic()
        _user, loaded = load(args.orders, items=args.items)
        print(f"loaded in {time.monotonic() - began:.0f}s: {loaded}", flush=True)
    if args.verify:
        began = time.monotonic()
        call_command("verify_stock")
        print(f"verify_stock in {time.monotonic() - began:.0f}s", flush=True)
    if args.load_only:
        return
    print(f"database {name}: {Order.objects.order_by('-id').values_list('id', flat=True).first():,} orders")
    print(f"load average before: {os.getloadavg()}", flush=True)
    if not args.no_pages:
        results = run_pages(args)
        print_table(results)
    if args.ship:
        print("shipping under load:")
        run_shipping()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
