"""Storefront API (issue 20): orders pushed in over HTTP through gunicorn, as shops' stores would.

    python bench/api_bench.py                          # MariaDB oms_he_bench, 4 workers, 8 clients, 60 s
    python bench/api_bench.py --clients 8 --duration 30 --json /tmp/api.json

Re-creates the database named by --database (its name must be one devdata.db may drop, e.g.
oms_he_bench; --existing takes a created, empty one as it is), migrates it, adds items with stock
and one API client per concurrent client (orders:write, each its own key, as separate stores
would be; the rate limit stays on but far above what the bench sends). Starts gunicorn
(production settings, DEBUG off, --workers sync workers) on 127.0.0.1:--port, then each client,
in a process of its own with its own requests.Session, POSTs new orders of 1–3 lines to
/api/v1/orders/ for --duration seconds, and once in every --repeat-every orders posts the previous
order again (the idempotent path: 200, no new order). At the end: verify_stock, the orders in the
database exactly those answered 201, one ApiCall row per request. Prints orders per second and the
latency percentiles; --json writes them. Figures: docs/BENCHMARKS.md, "Storefront API (issue 20)".
"""

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the project on the path
    sys.path.insert(0, str(ROOT))
DEFAULT_URL = "mysql://root@127.0.0.1:3306/oms_he_bench"
ORDERS = "/api/v1/orders/"
SCHEMA = "/api/v1/schema/"
SKUS = [f"API-{n:03d}" for n in range(1, 41)]

from bench import http_load  # noqa: E402  (after the project is on the path)


def server_env(url, workdir):
    """http_load's production settings (DEBUG off, plain HTTP at 127.0.0.1), a rate limit never reached."""
    env = http_load.server_env(url, Path(workdir) / "static", Path(workdir) / "media")
    env["OMS_API_RATE"] = "1000000/min"
    return env


def start_server(env, port, workers, log_path):
    """gunicorn as http_load starts it, ready once the API's schema answers (the API needs no static files)."""
    return http_load.start_server(env, port, workers, log_path, ready_path=SCHEMA)


def prepare(clients):
    """Items with stock and `clients` API clients; returns their keys."""
    from django.core.management import call_command

    from api.models import ApiClient, Scope
    from api.services import create_api_client
    from inventory.models import InventoryItem, StockMovement
    from inventory.services import adjust_stock
    from orders.models import Shop

    call_command("migrate", verbosity=0)
    shop = Shop.objects.create(name="自营商城")
    for n, sku in enumerate(SKUS, start=1):
        item = InventoryItem.objects.create(sku=sku, name=f"商品{n}")
        adjust_stock(item, 100_000, StockMovement.Reason.RECEIVE, note="期初库存")
    return [
        create_api_client(ApiClient(name=f"商城{n}", shop=shop, scopes=[Scope.ORDERS_WRITE]))
        for n in range(1, clients + 1)
    ]


def order_body(order_no, rng):
    return {
        "order_no": order_no,
        "customer_id": f"U{rng.randint(100000, 999999)}",
        "receiver": {
            "name": "张三",
            "phone": f"138{rng.randint(0, 99999999):08d}",
            "address": "上海市浦东新区张杨路 100 号",
        },
        "lines": [{"sku": sku, "quantity": rng.choice((1, 1, 2))} for sku in rng.sample(SKUS, rng.choice((1, 2, 3)))],
        "buyer_message": "",
    }


def run_client(index, base, key, duration, repeat_every, barrier, results):
    """One store: POST orders until the time is up; put (created numbers, latencies, statuses) on `results`."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    rng = random.Random(index)
    created, latencies, statuses, errors = [], [], {}, []
    barrier.wait()
    until = time.monotonic() + duration
    n = 0
    previous = None
    while time.monotonic() < until:
        n += 1
        repeat = previous is not None and n % repeat_every == 0
        body = previous if repeat else order_body(f"B{index:02d}-{n:07d}", rng)
        started = time.perf_counter()
        response = session.post(base + ORDERS, json=body, timeout=60)
        latencies.append(time.perf_counter() - started)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        expected = 200 if repeat else 201
        if response.status_code != expected:
            errors.append(f"{body['order_no']}: {response.status_code} {response.text[:200]}")
        elif not repeat:
            created.append(body["order_no"])
        previous = body
    results.put({"created": created, "latencies": latencies, "statuses": statuses, "errors": errors[:20]})


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def check_database(created):
    from django.core.management import CommandError, call_command

    from api.models import ApiCall
    from orders.models import Order

    try:
        call_command("verify_stock", verbosity=0)
        verify = True
    except CommandError:
        verify = False
    in_db = set(Order.objects.values_list("order_no", flat=True))
    return {"verify_stock_ok": verify, "orders_match": in_db == set(created), "api_calls": ApiCall.objects.count()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("OMS_API_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--existing", action="store_true", help="use the created, empty database as it is")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--repeat-every", type=int, default=20, help="every Nth post repeats the previous order")
    parser.add_argument("--port", type=int, default=18745)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from devdata.db import create_database

    if not args.existing:
        create_database(args.database, fresh=True)
    os.environ["DATABASE_URL"] = args.database
    os.environ["DJANGO_SETTINGS_MODULE"] = "oms.settings"
    os.environ["DJANGO_DEBUG"] = "1"  # this process only prepares and checks: no secret key needed
    import django

    django.setup()
    from django.db import connections

    keys = prepare(args.clients)
    connections.close_all()

    with tempfile.TemporaryDirectory() as work:
        env = server_env(args.database, work)
        server = start_server(env, args.port, args.workers, Path(work) / "gunicorn.log")
        try:
            barrier, results = multiprocessing.Barrier(args.clients + 1), multiprocessing.Queue()
            base = f"http://127.0.0.1:{args.port}"
            processes = [
                multiprocessing.Process(
                    target=run_client, args=(n, base, key, args.duration, args.repeat_every, barrier, results)
                )
                for n, key in enumerate(keys)
            ]
            for process in processes:
                process.start()
            barrier.wait()
            began, load_before = time.monotonic(), os.getloadavg()[0]
            reports = [results.get(timeout=args.duration + 300) for _process in processes]
            elapsed, load_after = time.monotonic() - began, os.getloadavg()[0]
            for process in processes:
                process.join()
        finally:
            http_load.stop_server(server)
            server_log = (Path(work) / "gunicorn.log").read_text()
            tracebacks = server_log.count("Traceback")
            first_traceback = server_log[server_log.find("Traceback") :][:3000] if tracebacks else ""

    created = [number for report in reports for number in report["created"]]
    latencies = [value for report in reports for value in report["latencies"]]
    statuses = {}
    for report in reports:
        for code, count in report["statuses"].items():
            statuses[str(code)] = statuses.get(str(code), 0) + count
    checks = check_database(created)
    figures = {
        "clients": args.clients,
        "workers": args.workers,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "orders_created": len(created),
        "orders_per_second": round(len(created) / elapsed, 1),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) * 1000, 1),
            "p95": round(percentile(latencies, 0.95) * 1000, 1),
            "p99": round(percentile(latencies, 0.99) * 1000, 1),
            "mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else 0,
        },
        "statuses": statuses,
        "load_average_1min": [round(load_before, 1), round(load_after, 1)],  # the whole machine's, start and end
        "errors": [error for report in reports for error in report["errors"]][:10],
        "server_tracebacks": tracebacks,
        "first_traceback": first_traceback,
        **checks,
    }
    figures["ok"] = (
        not figures["errors"]
        and tracebacks == 0
        and checks["verify_stock_ok"]
        and checks["orders_match"]
        and checks["api_calls"] == len(latencies)
    )
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
