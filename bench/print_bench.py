"""Benchmark: the print pages for 200 parcels (issue 18), labels already stored.

    .venv/bin/python bench/print_bench.py [--parcels 200] [--repeat 5]
    DATABASE_URL=sqlite:////tmp/print-bench.sqlite3 .venv/bin/python bench/print_bench.py

On MariaDB by default (database oms_bench_print, dropped and created afresh). Writes N pending orders
(1-3 lines), ships each in one parcel through orders.services, gives each parcel an e-waybill with
a stored label image (a real 608×1040 PNG, as the courier's would be), then times through the
Django test client the 打印面单 page and the 发货单 page (A4 and 76×130) for all N orders: the
median of `repeat` runs, and the queries each page costs. Prints one JSON line.
"""

import argparse
import io
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "mysql://root@127.0.0.1:3306/oms_bench_print")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")  # media served by Django, as in the demo
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ["DJANGO_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="oms-print-bench-")

from devdata.db import create_database

create_database(os.environ["DATABASE_URL"], fresh=not os.environ["DATABASE_URL"].startswith("sqlite"))

import django  # noqa: E402

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from inventory.models import InventoryItem, StockMovement  # noqa: E402
from inventory.services import adjust_stock  # noqa: E402
from logistics.label_views import labels_url  # noqa: E402
from logistics.models import Sender, Waybill  # noqa: E402
from orders import demo, services  # noqa: E402
from orders.admin_views import packing_slips_url  # noqa: E402
from orders.models import Carrier, Order, OrderLine  # noqa: E402


def label_png(number):
    image = Image.new("L", (608, 1040), 255)
    ImageDraw.Draw(image).text((40, 40), number, fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def load(parcels):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser(f"bench{secrets.token_hex(3)}", "b@example.com", "pw-bench-123")
    rng = random.Random(18)
    items = []
    for n, name in enumerate(demo.PRODUCTS):
        item = InventoryItem.objects.create(sku=f"PB-{n:03d}-{secrets.token_hex(2)}", name=name)
        adjust_stock(item, parcels * 3, StockMovement.Reason.RECEIVE, user=user)
        items.append(item)
    drafts = []
    for n in range(parcels):
        order = Order(
            order_no=f"PB{n:06d}-{secrets.token_hex(2)}",
            receiver_name=demo.person_name(rng),
            receiver_phone=demo.phone(rng),
            address=demo.address(rng),
            note="不要放价签" if n % 7 == 0 else "",
        )
        chosen = rng.sample(items, rng.choice([1, 1, 2, 3]))
        drafts.append((order, [OrderLine(item=item, quantity=rng.choice([1, 2])) for item in chosen]))
    orders = services.create_orders(drafts, user=user)
    sf = Carrier.objects.get(code="SF")
    Sender.objects.get_or_create(name="王店长", phone="13900139000", address="浙江省杭州市余杭区文一西路 969 号")
    for n, order in enumerate(orders):
        number = f"SF{7_000_000_000_000 + n}"
        parcel = services.ship_order(order, sf, number, user=user)
        waybill = Waybill(
            order=order, parcel=parcel, carrier=sf, idempotency_key=secrets.token_hex(16), state=Waybill.State.USED
        )
        waybill.tracking_number = number
        waybill.label_file.save(f"{number}.png", ContentFile(label_png(number)), save=False)
        waybill.save()
    return user, [order.pk for order in orders]


def measure(client, url, repeat):
    client.get(url)  # warm caches alike
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return round(statistics.median(times) * 1000, 1), len(queries.captured_queries), len(response.content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    user, pks = load(args.parcels)
    client = Client()
    client.force_login(user)
    figures = {"database": connection.vendor, "parcels": args.parcels, "load": [round(x, 1) for x in os.getloadavg()]}
    for name, url in (
        ("labels_page", labels_url(order_pks=pks)),
        ("packing_slips_a4", packing_slips_url(pks)),
        ("packing_slips_label", packing_slips_url(pks, size="label")),
    ):
        ms, queries, size = measure(client, url, args.repeat)
        figures[name] = {"median_ms": ms, "queries": queries, "html_kb": round(size / 1024)}
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
