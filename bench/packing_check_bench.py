"""Benchmark: 验货 on the scan desk (issue 18), one item scan at a time, as scan.js sends them.

    .venv/bin/python bench/packing_check_bench.py [--parcels 100] [--open 20000]
    DATABASE_URL=sqlite:////tmp/check-bench.sqlite3 .venv/bin/python bench/packing_check_bench.py
    # onto bench/scale.py's million orders, kept as they are (adds its items, orders and parcels):
    BENCH_KEEP_DATABASE=1 DATABASE_URL=mysql://root@127.0.0.1:3306/oms_scale \
        .venv/bin/python bench/packing_check_bench.py --open 0

On MariaDB by default (database oms_bench_check, dropped and created afresh). Writes `open` pending
orders (the queue the desk's header counts), then `parcels` orders of three barcoded lines, each
numbered as a parcel waiting to ship (打印后扫描发货). Through the Django test client, with 验货
on, it scans each parcel's label and then every unit's barcode (the last one ships the parcel),
posting as scan.js does (X-Scan-Fetch: the answer is the next page). Prints one JSON line: median
and p95 milliseconds and queries of a label scan, of an item scan that counts, and of the item scan
that ships the parcel.
"""

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "mysql://root@127.0.0.1:3306/oms_bench_check")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

from devdata.db import create_database

KEEP = os.environ.get("BENCH_KEEP_DATABASE") == "1"
create_database(os.environ["DATABASE_URL"], fresh=not KEEP and not os.environ["DATABASE_URL"].startswith("sqlite"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from inventory.models import InventoryItem, StockMovement  # noqa: E402
from inventory.services import adjust_stock  # noqa: E402
from orders import demo, services  # noqa: E402
from orders.models import Carrier, Order, OrderLine, Parcel  # noqa: E402

SCAN = reverse("admin:orders_order_scan")


def load(parcels, open_orders):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser(f"bench{secrets.token_hex(3)}", "b@example.com", "pw-bench-123")
    rng = random.Random(18)
    run = secrets.token_hex(3)  # a second run onto the same database adds its own items and orders
    items = []
    for n, name in enumerate(demo.PRODUCTS):
        item = InventoryItem.objects.create(
            sku=f"PC-{n:03d}-{run}",
            name=name,
            barcode=f"69{int(run, 16) % 10**8:08d}{n:03d}",
            location=demo.demo_location(n),
        )
        adjust_stock(item, parcels * 10, StockMovement.Reason.RECEIVE, user=user)
        items.append(item)

    def draft(prefix, n, lines):
        order = Order(
            order_no=f"{prefix}{n:07d}-{run}",
            receiver_name=demo.person_name(rng),
            receiver_phone=demo.phone(rng),
            address=demo.address(rng),
        )
        return order, [OrderLine(item=item, quantity=rng.choice([1, 2])) for item in rng.sample(items, lines)]

    for start in range(0, open_orders, 5000):
        services.create_orders([draft("PQ", n, 1) for n in range(start, min(start + 5000, open_orders))], user=user)
    checked = services.create_orders([draft("PC", n, 3) for n in range(parcels)], user=user)
    sf = Carrier.objects.get(code="SF")
    base = 7_100_000_000_000 + rng.randrange(10**9) * 1000
    services.prepare_orders([(order, sf, f"SF{base + n}") for n, order in enumerate(checked)], user=user)
    return user


def timed(client, data):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post(SCAN, data, HTTP_X_SCAN_FETCH="1")
        elapsed = time.perf_counter() - started
    return elapsed * 1000, len(queries.captured_queries), response


def summary(samples):
    times = sorted(ms for ms, _queries in samples)
    return {
        "scans": len(times),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
        "queries_max": max(queries for _ms, queries in samples),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100)
    parser.add_argument("--open", type=int, default=20000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    user = load(args.parcels, args.open)
    client = Client()
    client.force_login(user)
    client.post(SCAN, {"verify": "1", "current": ""})
    labels, counts, ships = [], [], []
    waiting = Parcel.objects.filter(status=Parcel.Status.NUMBERED).order_by("pk").prefetch_related("lines__line__item")
    for parcel in waiting:
        ms, queries, response = timed(client, {"code": parcel.tracking_number, "current": ""})
        assert b"checking" in response.content, response.content[:2000]
        labels.append((ms, queries))
        current = str(parcel.lines.all()[0].line.order_id)
        units = [pl.line.item.barcode for pl in parcel.lines.all() for _ in range(pl.quantity)]
        for index, barcode in enumerate(units):
            ms, queries, response = timed(client, {"code": barcode, "current": current})
            (ships if index == len(units) - 1 else counts).append((ms, queries))
        assert Parcel.objects.get(pk=parcel.pk).status == Parcel.Status.SHIPPED
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "open_orders": args.open,
                "parcels": args.parcels,
                "load": [round(x, 1) for x in os.getloadavg()],
                "label_scan": summary(labels),
                "item_scan": summary(counts),
                "last_item_ships": summary(ships),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
