"""Load over real HTTP (issue 15): clerks shipping through gunicorn, as browsers would.

    python bench/http_load.py                                   # MariaDB oms_load, 8 clerks, 5 minutes
    python bench/http_load.py --database sqlite:////tmp/oms_load.sqlite3 --clerks 4 --duration 120

Prepares the database named by --database, dropped and re-created first, so its name must start
with oms_load (a MariaDB database through devdata.db, or an SQLite file; --existing takes a
created, empty one as it is, e.g. a test database): migrate, setup_roles, one 运营 user per clerk
and a 经理, items with stock, and --orders pending orders through services.create_orders. Then starts
gunicorn (production settings, DEBUG off, --workers sync workers) on 127.0.0.1:--port, and runs,
each in its own process with its own requests.Session:

- list clerks (half of --clerks): log in through /admin/login/ with the page's CSRF token, then
  loop: GET the default 未发货 list, pick a random row, type 顺丰速运 and a new number into that
  row of the page's own formset and POST the whole form with _save, as the browser does, then
  read the page the redirect leads to (it is the next loop's list);
- scan clerks (the other half): each holds its own pile of packing slips (the newest orders, so
  they rarely meet the list clerks, who work oldest first); per slip it posts the order number,
  then a tracking number, to the scan desk the way scan.js does (X-Scan-Fetch: 1);
- a manager downloading today's 发货日报 CSV in a loop.

Tracking numbers are unique SF + 13 digits. A clerk losing a race for an order (another clerk
shipped it between page and save) is told so in Chinese: an expected refusal, counted apart. An
error is any other answer: a status outside 2xx/3xx, an error message that is not such a refusal,
a page that is not what the action leads to. At the end: verify_stock against the database, every
shipped order in exactly one live parcel, and the parcels in the database exactly the shipments
the clerks were told succeeded. --json writes the figures; the exit status is 1 unless all hold.
Figures: docs/BENCHMARKS.md, "Load over real HTTP".
"""

import argparse
import json
import math
import multiprocessing
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the project (devdata, oms, orders) on the path
    sys.path.insert(0, str(ROOT))
DEFAULT_URL = "mysql://root@127.0.0.1:3306/oms_load"
LIST = "/admin/orders/order/"
SCAN = "/admin/orders/order/scan/"
REPORT_CSV = "/admin/orders/order/shipping-report/?format=csv"
LOGIN = "/admin/login/"
PASSWORD = "load-pw-2026"
SF_NAME = "顺丰速运"
# What a clerk is told when another clerk shipped the order first: the row's stale-page refusal,
# check_shipments' "当前为“已发货”，不能发货" and the scan desk's note on an order already shipped.
EXPECTED_REFUSALS = re.compile(r"在你打开页面后已被修改|当前为“已发货”，不能发货|该订单已发货，不能再发货")
ACTIONS = ["login", "list GET", "list save", "scan order no.", "scan tracking no.", "report CSV"]


# ---------------------------------------------------------------- the pages, read as a browser reads them


class PageScraper(HTMLParser):
    """What a browser would post from each form of a page, plus the messages and states the page shows."""

    def __init__(self):
        super().__init__()
        self.forms = {}  # form id -> [(name, value)], in document order
        self.options = {}  # select name -> [(value, label)]
        self.messages = []  # (level, text) of the admin's message list
        self.errors = []  # form errors: the errorlist items
        self.notes = []  # the error note above a form ("请修正下面的错误。", a refused login)
        self.by_id = {}  # element id -> attributes (scan-app, scan-order, ...)
        self.text_of = {}  # element id -> text, for the ids in TEXT_IDS
        self._form = self._select = self._option = None
        self._select_chosen = False
        self._in_list = None  # "message" or "error" inside such a list
        self._capture = None  # (kind, key, [text parts]) of the element whose text is collected

    TEXT_IDS = {"scan-status"}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.by_id[attrs["id"]] = attrs
            if attrs["id"] in self.TEXT_IDS:
                self._capture = ("id", attrs["id"], [])
        classes = (attrs.get("class") or "").split()
        if tag == "form":
            self._form = self.forms.setdefault(attrs.get("id") or f"form{len(self.forms)}", [])
        elif tag == "li" and self._capture is None and self._in_list:
            self._capture = (self._in_list, attrs.get("class") or "", [])
        elif tag in ("ul", "ol"):
            self._in_list = "message" if "messagelist" in classes else "error" if "errorlist" in classes else None
        elif tag == "p" and "errornote" in classes:
            self._capture = ("note", "", [])
        elif self._form is not None and "name" in attrs and not attrs.get("disabled"):
            self._form_field(tag, attrs)
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value", ""), []]
            if "selected" in attrs:
                self._form.append((self._select, self._option[0]))
                self._select_chosen = True

    def _form_field(self, tag, attrs):
        name, kind = attrs["name"], attrs.get("type", "text")
        if tag == "input" and kind not in ("checkbox", "radio", "submit", "button", "file", "image", "reset"):
            self._form.append((name, attrs.get("value") or ""))
        elif tag == "select":
            self._select, self._select_chosen = name, False
            self.options[name] = []

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option" and self._option is not None:
            self.options[self._select].append((self._option[0], "".join(self._option[1]).strip()))
            self._option = None
        elif tag == "select" and self._select is not None:
            if not self._select_chosen and self.options[self._select]:  # no option selected: the first
                self._form.append((self._select, self.options[self._select][0][0]))
            self._select = None
        elif tag in ("ul", "ol"):
            self._in_list = None
        elif self._capture is not None and tag in ("li", "p", "div"):
            kind, key, parts = self._capture
            text = " ".join("".join(parts).split())
            if kind == "message":
                self.messages.append((key, text))
            elif kind == "error":
                self.errors.append(text)
            elif kind == "note":
                self.notes.append(text)
            else:
                self.text_of[key] = text
            self._capture = None

    def handle_data(self, data):
        if self._option is not None:
            self._option[1].append(data)
        if self._capture is not None:
            self._capture[2].append(data)


def scrape(html):
    page = PageScraper()
    page.feed(html)
    page.close()
    return page


def field(fields, name):
    return next((value for key, value in fields if key == name), None)


def replaced(fields, changes):
    """The form's fields with `changes` {name: value} typed in."""
    return [(name, changes.get(name, value)) for name, value in fields]


# ---------------------------------------------------------------- one simulated person


class Clerk:
    """One person at a browser: a session, and a record of every request's time and outcome."""

    def __init__(self, base, username, timeout=60):
        import requests

        self.base, self.username, self.timeout = base, username, timeout
        self.session = requests.Session()
        self.samples = {action: [] for action in ACTIONS}
        self.errors = []  # (action, status, detail)
        self.refusals = []  # (action, message): the expected ones
        self.shipped = []  # (order pk, tracking number) the clerk was told shipped

    def request(self, action, method, path, **kwargs):
        """One timed request, its body read in full; None (and an error recorded) if it failed."""
        import requests

        if method == "POST":
            # As a browser's form post: the page's origin, so CSRF checks what it checks in production.
            kwargs["headers"] = {"Origin": self.base, **kwargs.get("headers", {})}
        began = time.perf_counter()
        try:
            response = self.session.request(method, self.base + path, timeout=self.timeout, **kwargs)
            response.content  # noqa: B018 (read the whole body inside the timing)
        except requests.RequestException as exc:
            self.error(action, 0, repr(exc))
            return None
        self.samples[action].append((time.perf_counter() - began) * 1000)
        if not 200 <= response.status_code < 400 and not self.refusal_page(action, response):
            self.error(action, response.status_code, response.text[:300])
            return None
        return response

    def refusal_page(self, action, response):
        """The scan desk answers a refused scan with 422 and its message: expected when it is a lost race."""
        return response.status_code == 422 and action.startswith("scan")

    def error(self, action, status, detail):
        self.errors.append((action, status, " ".join(str(detail).split())[:300]))

    def sort_messages(self, action, texts):
        """Record each error message as an expected refusal or an error; True if there was none."""
        for text in texts:
            if EXPECTED_REFUSALS.search(text):
                self.refusals.append((action, text))
            else:
                self.error(action, 200, text)
        return not texts

    def login(self):
        page = self.request("login", "GET", LOGIN)
        if page is None:
            return False
        form = scrape(page.text).forms.get("login-form", [])
        data = replaced(form, {"username": self.username, "password": PASSWORD})
        response = self.request("login", "POST", LOGIN, data=data, allow_redirects=False)
        if response is None:
            return False
        if response.status_code != 302:
            self.error("login", response.status_code, "login refused: " + " ".join(scrape(response.text).notes))
            return False
        return True

    def report(self):
        return {
            "username": self.username,
            "samples": self.samples,
            "errors": self.errors,
            "refusals": self.refusals,
            "shipped": self.shipped,
        }


class NumberBook:
    """Unique SF numbers: SF, the clerk's 3 digits, a 10-digit counter (13 digits, as 顺丰's format)."""

    def __init__(self, clerk_no):
        self.prefix, self.next = f"SF{clerk_no:03d}", 1

    def take(self):
        number, self.next = f"{self.prefix}{self.next:010d}", self.next + 1
        return number


def list_clerk(clerk, numbers, until, rng):
    """Ship one random row of the default list per save, until `until` (epoch seconds)."""

    def open_list(path=LIST):
        response = clerk.request("list GET", "GET", path)
        return None if response is None else scrape(response.text)

    page = open_list()
    while page is not None and time.time() < until:
        form = page.forms.get("changelist-form")
        if form is None:
            clerk.error("list GET", 200, "no changelist form on the order list")
            page = open_list()
            continue
        rows = [name for name, _value in form if re.fullmatch(r"form-\d+-tracking_number", name)]
        if not rows:
            return  # the queue is empty
        row = rng.choice(rows).removesuffix("-tracking_number")  # "form-7"
        sf = next(value for value, label in page.options[f"{row}-carrier"] if label == SF_NAME)
        number, pk = numbers.take(), int(field(form, f"{row}-id"))
        data = [*replaced(form, {f"{row}-carrier": sf, f"{row}-tracking_number": number}), ("_save", "保存")]
        saved = clerk.request("list save", "POST", LIST, data=data, allow_redirects=False)
        if saved is None:
            page = open_list()
        elif saved.status_code == 200:  # the list came back with the row's errors
            clerk.sort_messages("list save", scrape(saved.text).errors or ["saved with 200 but no error shown"])
            page = open_list()
        else:  # redirected to the list, with the save's message on it
            page = open_list(saved.headers["Location"])
            if page is None:
                break
            if clerk.sort_messages("list save", [text for level, text in page.messages if level == "error"]):
                if any(level == "success" for level, _text in page.messages):
                    clerk.shipped.append((pk, number))
                else:
                    clerk.error("list save", saved.status_code, f"no message after the save: {page.messages}")


def scan_clerk(clerk, numbers, until, slips):
    """Work through the pile of packing slips at the scan desk: scan the order number, then a waybill."""
    fetch = {"X-Scan-Fetch": "1"}  # as scan.js posts: the answer is the next page itself

    def scan(action, form, code):
        response = clerk.request(action, "POST", SCAN, data=replaced(form, {"code": code}), headers=fetch)
        return None if response is None else scrape(response.text)

    page = None
    for order_no in slips:
        if time.time() >= until:
            return
        if page is None:  # the first slip, or after a failed request: open the desk again
            response = clerk.request("scan order no.", "GET", SCAN)
            page = None if response is None else scrape(response.text)
            if page is None:
                continue
        page = scan("scan order no.", page.forms["scan-form"], order_no)
        if page is None:
            continue
        state, status = page.by_id.get("scan-app", {}).get("data-state"), page.text_of.get("scan-status", "")
        if state != "switched" or page.by_id.get("scan-order", {}).get("data-order-no") != order_no:
            clerk.error("scan order no.", 200, f"{order_no}: {state} {status}")
            continue
        if not clerk.sort_messages("scan order no.", [status] if "不能再发货" in status else []):
            continue  # shipped from the list meanwhile: the clerk puts the slip aside
        form = page.forms["scan-form"]
        pk, number = int(field(form, "current")), numbers.take()
        page = scan("scan tracking no.", form, number)
        if page is None:
            continue
        state, status = page.by_id.get("scan-app", {}).get("data-state"), page.text_of.get("scan-status", "")
        if state == "shipped" and order_no in status and number in status:
            clerk.shipped.append((pk, number))
        elif state == "error":
            clerk.sort_messages("scan tracking no.", [status])
        else:
            clerk.error("scan tracking no.", 200, f"{order_no} {number}: {state} {status}")


def manager(clerk, until):
    """Download today's 发货日报 CSV again and again; returns the last one's rows."""
    rows = None
    while time.time() < until:
        response = clerk.request("report CSV", "GET", REPORT_CSV)
        if response is None:
            continue
        if not response.headers.get("Content-Type", "").startswith("text/csv"):
            clerk.error("report CSV", response.status_code, f"not a CSV: {response.headers.get('Content-Type')}")
            continue
        rows = response.content.decode("utf-8-sig").count("\n") - 1  # less the header
    return rows


def run_person(role, index, base, duration, slips, seed, barrier, results):
    """One process: log in, start with everyone once all have logged in, work for `duration` seconds.

    Puts the Clerk's report on `results`, whatever happened.
    """
    clerk = Clerk(base, "manager" if role == "manager" else f"clerk{index}")
    started = csv_rows = None
    try:
        logged_in = clerk.login()
        barrier.wait(timeout=120)
        started = time.time()
        until, numbers = started + duration, NumberBook(index)
        if logged_in and role == "list":
            list_clerk(clerk, numbers, until, random.Random(seed + index))
        elif logged_in and role == "scan":
            scan_clerk(clerk, numbers, until, slips)
        elif logged_in:
            csv_rows = manager(clerk, until)
    except Exception as exc:  # a bug here, not in the server: reported like an error, never hidden
        clerk.error(role, 0, f"{type(exc).__name__}: {exc}")
    report = clerk.report()
    report.update(role=role, started=started, finished=time.time(), csv_rows=csv_rows)
    results.put(report)


def run_people(base, list_clerks, slips, duration, seed):
    """Every clerk and the manager in a process of their own; their reports once all are done."""
    people = [("list", n, []) for n in range(1, list_clerks + 1)]
    people += [("scan", list_clerks + k + 1, pile) for k, pile in enumerate(slips)]
    people.append(("manager", 0, []))
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(len(people)), spawn.Queue()
    processes = [
        spawn.Process(target=run_person, args=(role, n, base, duration, pile, seed, barrier, results))
        for role, n, pile in people
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=duration + 600) for _process in processes]
    for process in processes:
        process.join()
    return reports


# ---------------------------------------------------------------- the database and the server


def server_env(url, static_root, media_root):
    """The production settings (DEBUG off, whitenoise's hashed static files) on plain HTTP at 127.0.0.1.

    No TLS proxy in front, so the HTTPS redirect and the secure-cookie flags are off: requests, like a
    browser, would not send a secure cookie over http://.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="oms.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=os.environ.get("OMS_LOAD_SECRET_KEY") or secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_MEDIA_ROOT=str(media_root),
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_PROXY_SSL_HEADER="0",
        DJANGO_SESSION_COOKIE_SECURE="0",
        DJANGO_CSRF_COOKIE_SECURE="0",
        DJANGO_SECURE_HSTS_SECONDS="0",
    )
    return env


def reset_database(url):
    """A fresh database for `url`: MariaDB re-created, an SQLite file removed (benchmark names only)."""
    from devdata.db import config, create_database

    cfg = config(url)
    if cfg["ENGINE"] == "django.db.backends.sqlite3":
        if not Path(cfg["NAME"]).name.startswith("oms_load"):  # never the demo's or a shop's file
            sys.exit(f"refusing to replace {cfg['NAME']}: the load bench's SQLite files are named oms_load…")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{cfg['NAME']}{suffix}").unlink(missing_ok=True)
        return
    try:
        create_database(url, fresh=True)
    except ValueError as exc:
        sys.exit(str(exc))


def prepare(orders, clerks, scan_clerks, *, seed, log):
    """Roles, users, items and `orders` pending orders (services only); returns each scan clerk's slips."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.roles import MANAGERS, OPS, setup_roles
    from inventory.models import InventoryItem, StockMovement
    from inventory.services import adjust_stock
    from orders import demo, services
    from orders.models import Order, OrderLine

    began = time.monotonic()
    call_command("migrate", verbosity=0)
    setup_roles()
    users = get_user_model()
    for n in range(1, clerks + 1):
        user = users.objects.create_user(f"clerk{n}", password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=OPS))
    boss = users.objects.create_user("manager", password=PASSWORD, is_staff=True)
    boss.groups.add(Group.objects.get(name=MANAGERS))
    rng = random.Random(seed)
    items = []
    for n, name in enumerate(demo.PRODUCTS * 2, start=1):
        item = InventoryItem.objects.create(sku=f"LOAD-{n:03d}", name=name, low_stock_threshold=10)
        adjust_stock(item, 1_000_000, StockMovement.Reason.RECEIVE, note="期初库存")
        items.append(item)
    now = timezone.now()
    drafts = []
    for n in range(orders):
        order = Order(
            order_no=f"LD{n + 1:07d}",
            customer_id=f"U{rng.randint(100000, 999999)}",
            receiver_name=demo.person_name(rng),
            receiver_phone=demo.phone(rng),
            address=demo.address(rng),
            created_at=now - timedelta(seconds=10 * (orders - n)),
        )
        chosen = rng.sample(items, rng.choice((1, 1, 1, 2, 2, 3)))
        lines = [OrderLine(item=item, quantity=rng.choice((1, 1, 2)), sub_order_no="") for item in chosen]
        drafts.append((order, lines))
    services.create_orders(drafts)
    log(f"prepared {orders} orders and {clerks} clerks in {time.monotonic() - began:.0f} s")
    # The list works oldest first; the scan desk's slips are the newest orders, dealt out in turn.
    newest = [order.order_no for order, _lines in reversed(drafts)]
    return [newest[k::scan_clerks] for k in range(scan_clerks)] if scan_clerks else []


def start_server(env, port, workers, log_path, *, ready_path=LOGIN):
    """gunicorn on 127.0.0.1:port with `workers` sync workers; returns the process once `ready_path` answers 200."""
    import requests

    log = open(log_path, "w")  # noqa: SIM115 (the server writes to it until stop_server)
    command = [sys.executable, "-m", "gunicorn", "oms.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--timeout", "60", "--error-logfile", "-"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    server.log = log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}: see {log_path}")
        try:
            if requests.get(f"http://127.0.0.1:{port}{ready_path}", timeout=30).status_code == 200:
                return server
        except requests.RequestException:  # not listening yet, or a worker still booting
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"gunicorn did not answer within 60 s: see {log_path}")


def stop_server(server):
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    server.log.close()


# ---------------------------------------------------------------- the checks and the figures


def check_database(shipped):
    """DESIGN.md rule 1 (verify_stock), and the parcels against what the clerks were told."""
    from django.core.management import CommandError, call_command
    from django.db.models import Count, Q

    from orders.models import Order, Parcel, ParcelLine

    out = StringIO()
    try:
        call_command("verify_stock", stdout=out)
        verify = {"ok": True, "output": out.getvalue().strip()}
    except CommandError as exc:
        verify = {"ok": False, "output": f"{out.getvalue().strip()} {exc}".strip()}
    live = Q(lines__parcel_lines__parcel__status__in=Parcel.LIVE)
    shipped_orders = Order.objects.filter(status=Order.Status.SHIPPED).annotate(
        parcels=Count("lines__parcel_lines__parcel", filter=live, distinct=True)
    )
    in_database = set(
        ParcelLine.objects.filter(parcel__status__in=Parcel.LIVE).values_list(
            "line__order_id", "parcel__tracking_number"
        )
    )
    told = {tuple(pair) for pair in shipped}
    return {
        "verify_stock": verify,
        "shipped_orders": shipped_orders.count(),
        "not_one_live_parcel": list(shipped_orders.exclude(parcels=1).values_list("order_no", flat=True)[:20]),
        "open_with_parcel": Order.objects.filter(live).exclude(status=Order.Status.SHIPPED).distinct().count(),
        "lost": sorted(told - in_database)[:20],  # the clerk was told 已发货, the database has no such parcel
        "unreported": sorted(in_database - told)[:20],  # shipped, though the clerk was not told so
    }


def percentile(values, share):
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarise(reports, checks, server_log):
    started = min((report["started"] for report in reports if report["started"]), default=time.time())
    ended = max(report["finished"] for report in reports)
    samples = {action: [] for action in ACTIONS}
    for report in reports:
        for action, values in report["samples"].items():
            samples[action].extend(values)
    shipped = [pair for report in reports for pair in report["shipped"]]
    errors = [(report["username"], *error) for report in reports for error in report["errors"]]
    refusals = [(report["username"], *refusal) for report in reports for refusal in report["refusals"]]
    tracebacks = server_log.count("Traceback (most recent call last)")
    by_role = {}
    for report in reports:
        by_role[report["role"]] = by_role.get(report["role"], 0) + len(report["shipped"])
    ok = (
        not errors
        and not tracebacks
        and checks["verify_stock"]["ok"]
        and not checks["not_one_live_parcel"]
        and not checks["open_with_parcel"]
        and not checks["lost"]
        and not checks["unreported"]
        and checks["shipped_orders"] == len(shipped)
    )
    return {
        "ok": ok,
        "seconds": round(ended - started, 1),
        "orders_shipped": len(shipped),
        "orders_per_second": round(len(shipped) / (ended - started), 2),
        "shipped_by": by_role,
        "actions": {
            action: {
                "requests": len(values),
                "p50_ms": round(statistics.median(values), 1) if values else None,
                "p95_ms": round(percentile(values, 0.95), 1) if values else None,
            }
            for action, values in samples.items()
        },
        "errors": len(errors),
        "error_examples": errors[:10],
        "refusals": len(refusals),
        "refusal_examples": refusals[:5],
        "server_tracebacks": tracebacks,
        "last_csv_rows": next((r["csv_rows"] for r in reports if r["role"] == "manager"), None),
        **checks,
    }


def print_summary(result, log):
    log(f"\n{result['orders_shipped']} orders shipped in {result['seconds']} s: {result['orders_per_second']}/s")
    log(f"  by path: {result['shipped_by']}")
    log(f"  {'action':<20} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for action, row in result["actions"].items():
        log(f"  {action:<20} {row['requests']:>8} {row['p50_ms'] or '-':>8} {row['p95_ms'] or '-':>8}")
    log(
        f"  errors {result['errors']}, expected refusals {result['refusals']}, server tracebacks "
        f"{result['server_tracebacks']}"
    )
    for example in result["error_examples"]:
        log(f"    error: {example}")
    for example in result["refusal_examples"]:
        log(f"    refusal: {example}")
    log(f"  last report CSV: {result['last_csv_rows']} rows")
    log(f"  verify_stock: {'ok' if result['verify_stock']['ok'] else 'FAILED'}: {result['verify_stock']['output']}")
    log(
        f"  shipped orders {result['shipped_orders']}; not in exactly one live parcel: "
        f"{result['not_one_live_parcel'] or 0}; open orders with a parcel: {result['open_with_parcel']}"
    )
    log(f"  told shipped but no parcel: {result['lost'] or 0}; parcels nobody was told of: {result['unreported'] or 0}")
    log("OK" if result["ok"] else "FAILED")


def uptime():
    """The machine's load, in UTC (Django has set this process's TZ to Asia/Shanghai)."""
    env = {**os.environ, "TZ": "UTC"}
    return subprocess.run(["uptime"], capture_output=True, text=True, env=env, check=False).stdout.strip()  # noqa: S607


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("OMS_LOAD_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--clerks", type=int, default=8, help="half at the list, half at the scan desk")
    parser.add_argument("--duration", type=float, default=300, help="seconds of shipping")
    parser.add_argument("--orders", type=int, default=5000, help="pending orders prepared")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=18840)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument(
        "--existing",
        action="store_true",
        help="use the database as it is (created and empty, e.g. a test database): nothing is dropped",
    )
    parser.add_argument("--workdir", type=Path, help="for the server's log and media (default: a new temp dir)")
    args = parser.parse_args(argv)
    began = time.monotonic()

    def log(text):
        print(f"[{time.monotonic() - began:6.1f}s] {text}", flush=True)

    scan_clerks = args.clerks // 2
    list_clerks = args.clerks - scan_clerks

    work = args.workdir or Path(tempfile.mkdtemp(prefix="oms_load_"))
    work.mkdir(parents=True, exist_ok=True)
    env = server_env(args.database, Path(tempfile.gettempdir()) / "oms_load_static", work / "media")
    os.environ.update(env)
    if not args.existing:
        reset_database(args.database)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    before = uptime()
    log(f"uptime before: {before}")
    slips = prepare(args.orders, args.clerks, scan_clerks, seed=args.seed, log=log)
    call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()  # the server's workers are the database's clients from here on

    server_log = work / "gunicorn.log"
    server = start_server(env, args.port, args.workers, server_log)
    base = f"http://127.0.0.1:{args.port}"
    log(f"gunicorn: {args.workers} workers at {base} (log: {server_log})")
    log(f"{list_clerks} list clerks, {scan_clerks} scan clerks and 1 manager logging in, then {args.duration:.0f} s")
    try:
        reports = run_people(base, list_clerks, slips, args.duration, args.seed)
    finally:
        stop_server(server)
    log("checking the database")
    after = uptime()
    shipped = [pair for report in reports for pair in report["shipped"]]
    result = summarise(reports, check_database(shipped), server_log.read_text())
    result.update(
        database=args.database.split("@")[-1],
        clerks={"list": list_clerks, "scan": scan_clerks, "manager": 1},
        workers=args.workers,
        duration=args.duration,
        prepared_orders=args.orders,
        uptime_before=before,
        uptime_after=after,
    )
    print_summary(result, print)
    print(f"uptime after: {after}")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
