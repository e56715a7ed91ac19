"""Benchmark: the 发货日报 CSV export and the admin dashboard on 100,000 shipped orders.

    /work/main/.venv/bin/python bench/report_bench.py [--orders 100000] [--database oms_bench_report]

Loads the orders once into its own MariaDB database (bulk INSERTs through bulk_create: orders of
1-4 lines, a third multi-line, each shipped in one parcel, so the CSV has a row per parcel line;
the parcels bypass the services, so stock and ledger are NOT consistent in this database: the
bench measures reads only), then, in a fresh process so the load does not count toward peak memory,
downloads the whole CSV through the Django test client, consuming the streaming response,
and renders the admin index with its dashboard. Prints one JSON line of figures.
"""

import argparse
import json
import os
import random
import resource
import secrets
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(database):
    os.environ["DATABASE_URL"] = f"mysql://root@127.0.0.1:3306/{database}"
    # DEBUG off: Django would otherwise keep every query in memory.
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    import django

    django.setup()


def create_database(database):
    from devdata.db import create_database

    create_database(f"mysql://root@127.0.0.1:3306/{database}")


def load(database, total):
    create_database(database)
    setup_django(database)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from inventory.models import InventoryItem
    from orders import demo
    from orders.models import Carrier, Order, OrderLine, Parcel, ParcelLine

    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True, "last_name": "王", "first_name": "经理"}
    )
    have = Order.objects.count()
    if have >= total:
        return {"loaded": 0, "orders": have}
    items = [
        InventoryItem.objects.get_or_create(sku=f"SKU-B{n:03d}", defaults={"name": name, "low_stock_threshold": 10})[0]
        for n, name in enumerate(demo.PRODUCTS)
    ]
    carriers = list(Carrier.objects.all())
    rng = random.Random(3)
    now = timezone.now()
    started = time.perf_counter()
    # Explicit ids: MySQL's bulk insert returns none, and the lines and parcels refer to them.
    ids = {
        model: (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
        for model in (Order, OrderLine, Parcel)
    }
    orders, lines, parcels, parcel_lines = [], [], [], []

    def flush():
        for model, rows in ((Order, orders), (OrderLine, lines), (Parcel, parcels), (ParcelLine, parcel_lines)):
            model.objects.bulk_create(rows, batch_size=5000)
            rows.clear()

    for n in range(have, total):
        carrier = rng.choice(carriers)
        number = demo.tracking_number(carrier.code, rng)
        # Spread over the last 14 days, so the CSV of 14 days holds every order and the chart is full.
        shipped_at = now - timedelta(seconds=rng.randint(0, 14 * 86400 - 3600))
        ids[Order] += 1
        ids[Parcel] += 1
        order = Order(
            pk=ids[Order],
            order_no=f"B{n + 1:09d}",
            customer_id=f"U{rng.randint(10000, 99999)}",
            receiver_name=demo.person_name(rng),
            receiver_phone=demo.phone(rng),
            address=demo.address(rng),
            status=Order.Status.SHIPPED,
            created_at=shipped_at - timedelta(hours=rng.randint(1, 30)),
        )
        parcel = Parcel(
            pk=ids[Parcel],
            carrier=carrier,
            tracking_number=number,
            live_number=number,
            shipped_at=shipped_at,
            shipped_by=user,
            created_at=shipped_at,
        )
        orders.append(order)
        parcels.append(parcel)
        count = rng.choice([2, 2, 2, 3, 4]) if rng.random() < 1 / 3 else 1
        for item in rng.sample(items, count):
            ids[OrderLine] += 1
            line = OrderLine(pk=ids[OrderLine], order=order, item=item, quantity=rng.choice([1, 1, 1, 2, 2, 3]))
            lines.append(line)
            parcel_lines.append(ParcelLine(parcel=parcel, line=line, quantity=line.quantity))
        if len(orders) == 5000:
            flush()
    flush()
    # Fresh statistics, as InnoDB's auto-recalculation would give a table that grew over time.
    with connection.cursor() as cursor:
        for table in (
            "orders_order",
            "orders_orderline",
            "orders_parcel",
            "orders_parcelline",
            "inventory_inventoryitem",
            "orders_carrier",
        ):
            cursor.execute(f"ANALYZE TABLE {table}")
            cursor.fetchall()
    seconds = round(time.perf_counter() - started, 1)
    return {
        "loaded": total - have,
        "orders": Order.objects.count(),
        "parcel_lines": ParcelLine.objects.count(),
        "load_seconds": seconds,
    }


def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(database, repeat):
    setup_django(database)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from orders.reports.days import local_date

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    today = local_date(timezone.now())
    params = {"date_from": (today - timedelta(days=14)).isoformat(), "date_to": today.isoformat(), "format": "csv"}
    url = reverse("admin:shipping_report")
    client.get("/admin/")  # warm up: templates, permissions, connection
    before = rss_mb()

    walls, cpus, db_waits = [], [], []

    def time_query(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            db_waits[-1] += time.perf_counter() - started

    for _ in range(repeat):
        db_waits.append(0.0)
        started, cpu_started = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(time_query):
            response = client.get(url, params)
            size = lines = 0
            for chunk in response.streaming_content:
                size += len(chunk)
                lines += chunk.count(b"\n")
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu_started)
    rows = lines - 1  # minus the header
    csv_seconds = min(walls)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timings, executed = [], []

    def count_query(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    for _ in range(5):
        executed.clear()  # the first render warms nothing up: the dashboard caches no figures
        with connection.execute_wrapper(count_query):
            started = time.perf_counter()
            assert client.get("/admin/").status_code == 200
            timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    assert client.get(url, {k: v for k, v in params.items() if k != "format"}).status_code == 200
    page_seconds = time.perf_counter() - started
    return {
        "csv_rows": rows,
        "csv_mb": round(size / 2**20, 1),
        "csv_seconds_best": round(csv_seconds, 2),
        "csv_seconds_all": [round(w, 2) for w in walls],
        "csv_python_cpu_seconds": [round(c, 2) for c in cpus],
        "csv_waiting_on_db_seconds": [round(d, 2) for d in db_waits],
        "rows_per_second_best": round(rows / csv_seconds),
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "dashboard_ms_median": round(statistics.median(timings) * 1000, 1),
        "index_page_queries": len(executed),
        "report_page_ms": round(page_seconds * 1000, 1),
        "load_average": os.getloadavg()[0],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--database", default="oms_bench_report")
    parser.add_argument("--repeat", type=int, default=3, help="CSV downloads to time (best is reported)")
    parser.add_argument("--step", choices=["load", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "load":
        print(json.dumps(load(args.database, args.orders)))
        return
    if args.step == "measure":
        print(json.dumps(measure(args.database, args.repeat)))
        return
    # Each step in its own process: the load's memory must not count toward the export's peak.
    common = [sys.executable, __file__, "--orders", str(args.orders), "--database", args.database]
    common += ["--repeat", str(args.repeat)]
    figures = {}
    for step in ("load", "measure"):
        # Our own script with our own arguments.
        done = subprocess.run([*common, "--step", step], check=True, capture_output=True, text=True)  # noqa: S603
        figures.update(json.loads(done.stdout))
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
