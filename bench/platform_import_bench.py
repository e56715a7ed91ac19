"""Benchmark: a 抖店 order export (a row per 子订单, 30 % of orders with several lines) through the admin.

    python bench/platform_import_bench.py --rows 20000                       # SQLite (a file in /tmp)
    DATABASE_URL=mysql://root@127.0.0.1:3306/oms_ha_bench python bench/platform_import_bench.py --rows 20000

The clerk's path, the view and not the resource: upload → preview page → confirm, with Django's
test client on a fresh database (50 items with stock, one 抖店 shop). Queries are counted with a
connection execute wrapper for the preview and the confirm; run it at 2,000 and 20,000 rows to see
they stay flat in rows (a statement per batch of rows, none per row). Wall time and this process's
CPU time are both printed: on a shared machine the CPU time is the steadier figure.
"""

import argparse
import collections
import cProfile
import os
import pstats
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{Path(tempfile.gettempdir()) / 'oms_platform_bench.sqlite3'}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))

from devdata.db import create_database

if not os.environ["DATABASE_URL"].startswith("sqlite"):
    create_database(os.environ["DATABASE_URL"])
else:
    Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///")).unlink(missing_ok=True)

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from inventory.models import InventoryItem, StockMovement  # noqa: E402
from inventory.services import adjust_stock  # noqa: E402
from orders.models import Order, OrderLine, Shop  # noqa: E402
from tests.importing import csv_bytes  # noqa: E402
from tests.platform_samples import DOUDIAN_HEADERS  # noqa: E402

ITEMS = 50


class QueryCounter:
    def __init__(self):
        self.count = 0
        self.shapes = collections.Counter()  # the statement's first words: where the queries go

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        self.shapes[" ".join(sql.split()[:4])[:70]] += 1
        return execute(sql, params, many, context)


def export_rows(rows):
    """A 抖店 export of `rows` rows: 30 % of the orders have 2–3 lines, the others one."""
    out, n, order = [DOUDIAN_HEADERS], 0, 0
    while n < rows:
        order += 1
        count = min(2 + order % 2 if order % 10 < 3 else 1, rows - n)
        main = f"69{order:014d}"
        for k in range(count):
            sub = main if count == 1 else f"{main}{k + 1}"
            out.append([
                f'="{main}"', f'="{sub}"', f"压测商品{(order + k) % ITEMS}", "默认", 1 + k,
                f"BENCH-{(order + k) % ITEMS:03d}", "19.90", "19.90", "张三", f"138{order % 10**8:08d}",
                "上海市", "上海市", "浦东新区", "张江镇",
                f"张杨路 {order} 号", "", "2026-11-30 10:15:00", "", "待发货", "", "", "",
            ])  # fmt: skip
            n += 1
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true", help="print the preview's 30 costliest functions")
    args = parser.parse_args()
    rows = args.rows
    call_command("migrate", verbosity=0)
    for model in (StockMovement, OrderLine, Order, InventoryItem):
        model.objects.all().delete()
    Shop.objects.get_or_create(name="抖店压测", defaults={"platform": Shop.Platform.DOUDIAN})
    InventoryItem.objects.bulk_create(InventoryItem(sku=f"BENCH-{i:03d}", name=f"压测商品{i}") for i in range(ITEMS))
    for item in InventoryItem.objects.order_by("pk"):
        adjust_stock(item, 10 * rows, StockMovement.Reason.RECEIVE, note="压测入库")
    content = csv_bytes(export_rows(rows), "utf-8-sig")
    print(f"database: {connection.vendor}, rows: {rows}, load: {os.getloadavg()}")
    time_admin_flow(rows, content, profile=args.profile)


def time_admin_flow(rows, content, *, profile=False):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client, override_settings

    admin, _ = get_user_model().objects.get_or_create(username="bench-admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(ALLOWED_HOSTS=["*"], STORAGES=plain_static):
        upload = SimpleUploadedFile("抖店订单.csv", content, "text/csv")
        counter = QueryCounter()
        start, cpu = time.perf_counter(), time.process_time()
        profiler = cProfile.Profile() if profile else None
        with connection.execute_wrapper(counter):
            if profiler:
                profiler.enable()
            preview = client.post(
                "/admin/orders/order/import/",
                {"resource": "1", "format": "0", "import_file": upload, "platform": ""},
                secure=True,
            )
            if profiler:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        preview_s, preview_cpu, preview_q = time.perf_counter() - start, time.process_time() - cpu, counter.count
        print("preview's statements:", counter.shapes.most_common(6))
        html = preview.content.decode()
        assert preview.status_code == 200 and "确认导入" in html, "admin preview failed"
        # The confirm form's hidden fields, as the browser would post them back.
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
        counter = QueryCounter()
        start, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(counter):
            if profiler:
                profiler = cProfile.Profile()
                profiler.enable()
            confirm = client.post("/admin/orders/order/process_import/", {**hidden, "confirm": "确认导入"}, secure=True)
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        confirm_s, confirm_cpu, confirm_q = time.perf_counter() - start, time.process_time() - cpu, counter.count
        print("confirm's statements:", counter.shapes.most_common(6))
    assert confirm.status_code == 302, "admin confirm failed"
    assert OrderLine.objects.count() == rows
    orders = Order.objects.count()
    print(f"orders: {orders}, lines: {rows}")
    print(
        f"{'preview (upload → page)':<28} {preview_s:7.2f} s (CPU {preview_cpu:.2f} s)  {preview_q:6d} queries"
        f"  {len(preview.content) // 1024} KiB"
    )
    print(f"{'confirm':<28} {confirm_s:7.2f} s (CPU {confirm_cpu:.2f} s)  {confirm_q:6d} queries")


if __name__ == "__main__":
    main()
