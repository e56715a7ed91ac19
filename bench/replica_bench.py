"""Benchmark: the 发货日报 page, its CSV and the dashboard read from a MariaDB replica vs the primary.

    .venv/bin/python bench/replica_bench.py [--orders 20000] [--repeat 5]

Starts its own primary and replica on 127.0.0.1:18881/18882 (tests/replication.py), runs the
product with DATABASE_URL and DATABASE_REPLICA_URL pointing at them, bulk-loads shipped orders
(one parcel each, spread over 14 days; reads only, stock is not consistent), waits for the
replica, then times each page through the Django test client with the replica in use and with
the primary (the lag bound set below zero, so every page takes the fallback path), and counts
the queries each server received. Prints one JSON line; both servers are removed at the end.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RANGE_DAYS = 14


def load(total):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from inventory.models import InventoryItem
    from orders import demo
    from orders.models import Carrier, Order, OrderLine, Parcel, ParcelLine

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "pw-bench-12345")
    items = [InventoryItem.objects.create(sku=f"SKU-R{n:03d}", name=name) for n, name in enumerate(demo.PRODUCTS)]
    carriers = list(Carrier.objects.all())
    rng, now = random.Random(5), timezone.now()
    for start in range(0, total, 5000):
        orders, lines, parcels, parcel_lines = [], [], [], []
        for n in range(start, min(total, start + 5000)):
            carrier = rng.choice(carriers)
            number = demo.tracking_number(carrier.code, rng)
            shipped_at = now - timedelta(seconds=rng.randint(0, RANGE_DAYS * 86400 - 3600))
            order = Order(
                pk=n + 1,
                order_no=f"R{n + 1:09d}",
                customer_id=f"U{n:06d}",
                receiver_name=demo.person_name(rng),
                receiver_phone=demo.phone(rng),
                address=demo.address(rng),
                status=Order.Status.SHIPPED,
                created_at=shipped_at - timedelta(hours=2),
            )
            parcel = Parcel(
                pk=n + 1,
                carrier=carrier,
                tracking_number=number,
                live_number=number,
                shipped_at=shipped_at,
                shipped_by=user,
                created_at=shipped_at,
            )
            line = OrderLine(pk=n + 1, order=order, item=rng.choice(items), quantity=rng.choice([1, 1, 2, 3]))
            orders.append(order)
            parcels.append(parcel)
            lines.append(line)
            parcel_lines.append(ParcelLine(parcel=parcel, line=line, quantity=line.quantity))
        for model, rows in ((Order, orders), (OrderLine, lines), (Parcel, parcels), (ParcelLine, parcel_lines)):
            model.objects.bulk_create(rows, batch_size=5000)
    return user


def measure(user, repeat):
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse
    from django.utils import timezone

    from orders.reports.days import local_date
    from orders.reports.replica import report_source

    client = Client()
    client.force_login(user)
    today = local_date(timezone.now())
    report = reverse("admin:shipping_report")
    span = {"date_from": (today - timedelta(days=RANGE_DAYS - 1)).isoformat(), "date_to": today.isoformat()}
    pages = {
        "report_page_14_days": lambda: client.get(report, span),
        "report_csv_14_days": lambda: b"".join(client.get(report, {**span, "format": "csv"}).streaming_content),
        "dashboard": lambda: client.get("/admin/"),
    }
    figures = {}
    for mode, max_lag in (("replica", 30), ("primary", -1)):
        with override_settings(OMS_REPLICA_MAX_LAG_SECONDS=max_lag):
            assert report_source().alias == ("replica" if mode == "replica" else "default")
            for name, get in pages.items():
                get()  # warm the caches of both servers alike
                times = []
                for _ in range(repeat):
                    with (
                        CaptureQueriesContext(connections["default"]) as on_primary,
                        CaptureQueriesContext(connections["replica"]) as on_replica,
                    ):
                        started = time.perf_counter()
                        get()
                        times.append(time.perf_counter() - started)
                figures[f"{name}_{mode}_ms"] = round(statistics.median(times) * 1000, 1)
                figures[f"{name}_{mode}_queries"] = {
                    "primary": len(on_primary.captured_queries),
                    "replica": len(on_replica.captured_queries),
                }
    started = time.perf_counter()
    for _ in range(100):
        report_source()
    figures["lag_check_ms"] = round((time.perf_counter() - started) * 10, 2)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from tests.replication import APP_PASSWORD, APP_USER, DATABASE, PRIMARY_PORT, REPLICA_PORT

    # The product's own settings path: the two URLs as an operator would set them.
    os.environ["DATABASE_URL"] = f"mysql://{APP_USER}:{APP_PASSWORD}@127.0.0.1:{PRIMARY_PORT}/{DATABASE}"
    os.environ["DATABASE_REPLICA_URL"] = f"mysql://{APP_USER}:{APP_PASSWORD}@127.0.0.1:{REPLICA_PORT}/{DATABASE}"
    # Demo settings (plain static files, no HTTPS redirect); both modes pay the same for query logging.
    os.environ["DJANGO_DEBUG"] = "1"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    import django

    from tests.replication import replicated_pair

    with replicated_pair() as pair:
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        user = load(args.orders)
        pair.wait_for_replica(timeout=300)
        loaded = round(time.perf_counter() - started, 1)
        figures = {"orders": args.orders, "load_and_replicate_s": loaded, **measure(user, args.repeat)}
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
