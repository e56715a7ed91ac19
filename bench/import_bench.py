"""Benchmark: a 10,000-row tracking import and a 10,000-order import on MariaDB.

    DATABASE_URL=mysql://root@127.0.0.1:3306/oms_bench_import python bench/import_bench.py [--rows 10000] [--repeat 2]

Creates (or empties) its own database, gives 50 items enough stock, writes N pending orders (one
line each, through services.create_orders), and times the tracking import of N numbers, dry run
(the admin's preview) and confirmed, resetting the data before each: TrackingImportResource
reading a GBK CSV through SpreadsheetFormat, every row checked, shipped by
orders.services.ship_orders. Then the order import (导入订单) of N new orders, and the clerk's
path through the admin (upload, preview page, confirm).

There is no plain ModelResource to compare with any more: with real orders the order has no
carrier or number field a default ModelResource could set; shipping means a parcel, which only
the services write.

Queries are counted with a connection execute wrapper (no query log), so counting costs ~nothing.
"""

import argparse
import os
import random
import re
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "mysql://root@127.0.0.1:3306/oms_bench_import")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
# No DEBUG query log: it would slow both sides and hold 150k queries in memory.
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))


from devdata.db import create_database

create_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from inventory.models import InventoryItem, StockMovement  # noqa: E402
from inventory.selectors import items_with_ledger_drift  # noqa: E402
from inventory.services import adjust_stock  # noqa: E402
from orders import demo, services  # noqa: E402
from orders.models import Carrier, Order, OrderLine  # noqa: E402
from orders.resources import OrderImportResource, TrackingImportResource  # noqa: E402
from spreadsheets.formats import read_spreadsheet  # noqa: E402

ITEMS = 50


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def reset(rows, orders=None):
    """`orders` (default N) pending orders over 50 items that can cover N; no shipments, a consistent ledger."""
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
        existing = set(connection.introspection.table_names(cursor))
        # History tables (simple-history) grow with every run otherwise.
        tables = [t for t in existing if t.startswith(("orders_historical", "inventory_historical"))]
        tables += [
            "inventory_stockmovement",
            "orders_parcelline",
            "orders_parcel",
            "orders_orderline",
            "orders_order",
            "inventory_inventoryitem",
        ]
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (table names from the schema)
        if connection.vendor == "mysql":
            cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
    items = InventoryItem.objects.bulk_create(
        InventoryItem(sku=f"BENCH-{i:03d}", name=f"压测商品{i}") for i in range(ITEMS)
    )
    items = list(InventoryItem.objects.order_by("pk"))  # MySQL's bulk insert returns no ids
    for item in items:
        adjust_stock(item, rows, StockMovement.Reason.RECEIVE, note="压测入库")
    drafts = [
        (
            Order(
                order_no=f"B{n:08d}",
                customer_id=f"U{n}",
                receiver_name="张三",
                receiver_phone=f"138{n:08d}",
                address="上海市浦东新区张杨路 100 号",
            ),
            [OrderLine(item=items[n % ITEMS], quantity=1)],
        )
        for n in range(rows if orders is None else orders)
    ]
    if drafts:
        services.create_orders(drafts)


def tracking_rows(rows):
    """(order_no, carrier, number) as a courier's file has them: names, short names and codes mixed."""
    rng = random.Random(2026)
    carriers = list(Carrier.objects.filter(is_active=True))
    written = {"SF": ["顺丰", "顺丰速运", "SF"], "ZTO": ["中通", "ZTO"], "YTO": ["圆通速递", "yto"]}
    out = []
    for n in range(rows):
        carrier = carriers[n % len(carriers)]
        names = written.get(carrier.code, [carrier.name])
        out.append((f"B{n:08d}", carrier, names[n % len(names)], demo.tracking_number(carrier.code, rng)))
    return out


def our_file(rows):
    lines = ["订单号,快递公司,快递单号"] + [f"{no},{name},{number}" for no, _c, name, number in rows]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def run(label, make_dataset, resource_class, dry_run, rows):
    counter = QueryCounter()
    cpu = time.process_time()
    start = time.perf_counter()
    with connection.execute_wrapper(counter):
        dataset = make_dataset()
        result = resource_class().import_data(dataset, dry_run=dry_run)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    assert not result.has_errors() and not result.has_validation_errors(), f"{label}: import failed"
    shipped = Order.objects.filter(status=Order.Status.SHIPPED).count()
    assert shipped == (0 if dry_run else rows), f"{label}: {shipped} shipped"
    assert not list(items_with_ledger_drift()), f"{label}: ledger drift"
    print(
        f"{label:<32} {elapsed:7.2f} s (python cpu {cpu:6.2f} s)  {counter.count:7d} queries"
        f"  {counter.count / rows:5.1f} per row",
        flush=True,
    )
    return elapsed, counter.count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds; the best of each is reported")
    args = parser.parse_args()
    rows = args.rows

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, rows: {rows}, load: {os.getloadavg()}")
    reset(rows)
    data = tracking_rows(rows)
    ours_bytes = our_file(data)

    def ours():
        return read_spreadsheet(ours_bytes)

    configs = [
        ("ours, dry run", ours, TrackingImportResource, True),
        ("ours, confirmed", ours, TrackingImportResource, False),
    ]
    results = {label: [] for label, *_ in configs}
    for _round in range(args.repeat):
        for label, make, resource, dry_run in configs:
            reset(rows)
            results[label].append(run(label, make, resource, dry_run, rows))

    print("\nbest of", args.repeat, "(seconds, queries per row):")
    for label, runs in results.items():
        best = min(seconds for seconds, _queries in runs)
        print(f"  {label:<32} {best:7.2f} s  {runs[0][1] / rows:5.1f}  all: {[round(s, 1) for s, _q in runs]}")
    time_order_import(rows)
    time_admin_flow(rows, ours_bytes)
    print(f"load after: {os.getloadavg()}")
    reset(1)


def time_order_import(rows):
    """导入订单 of N new orders (no plain counterpart: the issue's comparison is the tracking import)."""
    lines = ["订单号,用户ID,SKU,数量,收货人,电话,地址"]
    address = "上海市浦东新区张杨路 100 号"
    lines += [f"N{n:08d},U{n},BENCH-{n % ITEMS:03d},1,张三,13800138000,{address}" for n in range(rows)]
    raw = ("\r\n".join(lines) + "\r\n").encode("gbk")
    for dry_run in (True, False):
        reset(rows, orders=0)
        counter = QueryCounter()
        start = time.perf_counter()
        with connection.execute_wrapper(counter):
            result = OrderImportResource().import_data(read_spreadsheet(raw), dry_run=dry_run)
        elapsed = time.perf_counter() - start
        assert not result.has_errors() and not result.has_validation_errors(), "order import failed"
        assert Order.objects.count() == (0 if dry_run else rows)
        label = "order import, " + ("dry run" if dry_run else "confirmed")
        print(f"{label:<32} {elapsed:7.2f} s  {counter.count:7d} queries")


def time_admin_flow(rows, content):
    """The clerk's path through the admin: upload → preview page → confirm (Django's test client)."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client, override_settings

    reset(rows)
    clerk, _ = get_user_model().objects.get_or_create(username="bench-admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(clerk)
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(ALLOWED_HOSTS=["*"], STORAGES=plain_static):
        upload = SimpleUploadedFile("快递单号.csv", content, "text/csv")
        start = time.perf_counter()
        preview = client.post(
            "/admin/orders/order/import/", {"resource": "0", "format": "0", "import_file": upload}, secure=True
        )
        preview_s = time.perf_counter() - start
        html = preview.content.decode()
        assert preview.status_code == 200 and "确认导入" in html, "admin preview failed"
        # The confirm form's hidden fields, as the browser would post them back.
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
        start = time.perf_counter()
        confirm = client.post("/admin/orders/order/process_import/", {**hidden, "confirm": "确认导入"}, secure=True)
        confirm_s = time.perf_counter() - start
    assert confirm.status_code == 302, "admin confirm failed"
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == rows
    print(f"{'admin upload → preview page':<32} {preview_s:7.2f} s  ({len(preview.content) // 1024} KiB of HTML)")
    print(f"{'admin confirm':<32} {confirm_s:7.2f} s")


if __name__ == "__main__":
    main()
