"""Bulk loader for the scale benchmark: a year of a busy shop's orders, in minutes.

Rows are generated in Python and streamed into MariaDB with LOAD DATA LOCAL INFILE in
chunks; the secondary indexes are dropped first and rebuilt once at the end (a sorted
index build is far faster than a million random index inserts into a 128 MB buffer pool).
The ledger is written too, so `verify_stock` holds on the loaded data: one `receive` row
per item and one `ship` row per shipped order, with true running balances.
"""

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from inventory.models import InventoryItem, StockMovement
from orders import demo
from orders.models import Carrier, Order

CHUNK = 100_000
# Share of each carrier among shipped orders (SF and ZTO carry most parcels).
CARRIER_WEIGHTS = {"SF": 18, "ZTO": 22, "YTO": 16, "STO": 12, "YD": 12, "JTSD": 10, "JD": 6, "EMS": 4}
EPOCH = datetime(2025, 11, 25, tzinfo=UTC)


def _ts(value):
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if value else r"\N"


def _raw_connection():
    import MySQLdb

    db = settings.DATABASES["default"]
    return MySQLdb.connect(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 3306),
        user=db["USER"],
        password=db["PASSWORD"] or "",
        database=db["NAME"],
        charset="utf8mb4",
        local_infile=1,
        autocommit=True,
    )


def _load_file(cursor, table, columns, rows):
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".tsv", delete=False) as handle:
        for row in rows:
            handle.write("\t".join(str(value) for value in row))
            handle.write("\n")
        path = Path(handle.name)
    try:
        cursor.execute(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} CHARACTER SET utf8mb4 "
            f"FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' ({', '.join(columns)})",
            [str(path)],
        )
    finally:
        path.unlink()


def _secondary_indexes(model):
    return list(model._meta.indexes)


def _record_history(cursor, model, reason):
    """One '+' history row per loaded row, as the migration that switched history on gives them."""
    from audit.migration_ops import HISTORY_ONLY

    history = getattr(model, "history", None)
    if history is None:
        return
    columns = [f.column for f in history.model._meta.concrete_fields if f.attname not in HISTORY_ONLY]
    # Only the fields the history model tracks; the date is the row's creation time.
    listed = ", ".join(columns)
    cursor.execute(
        f"INSERT INTO {history.model._meta.db_table} ({listed}, history_date, history_type, history_change_reason) "  # noqa: S608
        f"SELECT {listed}, created_at, '+', %s FROM {model._meta.db_table}",
        [reason],
    )


def write_pictures():
    """One picture per demo product, shared by the items named after it."""
    folder = Path(settings.MEDIA_ROOT) / "items"
    folder.mkdir(parents=True, exist_ok=True)
    for n, name in enumerate(demo.PRODUCTS):
        path = folder / f"bench-{n:02d}.png"
        if not path.exists():
            path.write_bytes(demo.product_picture(name, n, len(demo.PRODUCTS)))


def load(total_orders, *, items=20_000, seed=2026, now=None, log=print):
    """Fill an empty, migrated database with `items` items and `total_orders` orders."""
    if Order.objects.exists():
        raise RuntimeError("the benchmark database already has orders")
    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=365)
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True, "email": "bench@example.com"}
    )
    user.set_password("bench-pw-123")
    user.save()
    carriers = {c.code: c.pk for c in Carrier.objects.all()}
    codes = [code for code in CARRIER_WEIGHTS if code in carriers]
    weights = [CARRIER_WEIGHTS[code] for code in codes]
    began = time.monotonic()

    raw = _raw_connection()
    cursor = raw.cursor()
    cursor.execute("SET foreign_key_checks = 0, unique_checks = 0")
    order_table, movement_table = Order._meta.db_table, StockMovement._meta.db_table
    with connection.schema_editor() as editor:
        for model in (Order, StockMovement):
            for index in _secondary_indexes(model):
                editor.remove_index(model, index)

    # Items: 20,000 SKUs sharing the demo products' pictures (written once into MEDIA_ROOT).
    write_pictures()
    item_rows = []
    for n in range(1, items + 1):
        product = rng.randrange(len(demo.PRODUCTS))
        name = f"{demo.PRODUCTS[product]} #{n}"
        image = f"items/bench-{product:02d}.png"
        item_rows.append([n, f"SKU-B{n:06d}", name, image, 0, 10, _ts(start), _ts(start)])
    _load_file(
        cursor,
        InventoryItem._meta.db_table,
        ["id", "sku", "name", "image", "stock", "low_stock_threshold", "created_at", "updated_at"],
        item_rows,
    )
    log(f"  {items} items in {time.monotonic() - began:.0f}s")

    # A few popular items take most orders, like a real shop's catalogue.
    popular = [rng.randint(1, items) for _ in range(items // 10)]
    shipped_qty = [0] * (items + 1)
    ship_events = []  # (shipped_at, order_id, item_id, quantity)
    order_columns = [
        "id",
        "order_no",
        "customer_id",
        "item_id",
        "quantity",
        "receiver_name",
        "receiver_phone",
        "address",
        "status",
        "carrier_id",
        "tracking_number",
        "shipped_at",
        "shipped_by_id",
        "created_at",
        "updated_at",
        "note",
    ]
    span = (now - start).total_seconds()
    step = span / total_orders
    for chunk_start in range(0, total_orders, CHUNK):
        rows = []
        for n in range(chunk_start, min(chunk_start + CHUNK, total_orders)):
            order_id = n + 1
            created = start + timedelta(seconds=n * step + rng.random() * step)
            item_id = rng.choice(popular) if rng.random() < 0.6 else rng.randint(1, items)
            quantity = rng.choice((1, 1, 1, 1, 2, 2, 3))
            roll = rng.random()
            status, carrier_id, tracking, shipped_at, shipped_by, updated = "pending", r"\N", "", None, r"\N", created
            if roll < 0.80:
                code = rng.choices(codes, weights)[0]
                prefix, digits = demo.TRACKING_FORMATS[code]
                status, carrier_id = "shipped", carriers[code]
                tracking = f"{prefix}{rng.randrange(10**digits):0{digits}d}"
                shipped_at = created + timedelta(hours=rng.uniform(2, 48))
                shipped_by, updated = user.pk, shipped_at
                shipped_qty[item_id] += quantity
                ship_events.append((shipped_at, order_id, item_id, quantity))
            elif roll < 0.85:
                status, updated = "cancelled", created + timedelta(hours=rng.uniform(1, 24))
            rows.append(
                [
                    order_id,
                    f"DD{created:%y%m%d}{order_id:08d}",
                    f"U{rng.randint(100000, 999999)}",
                    item_id,
                    quantity,
                    demo.person_name(rng),
                    demo.phone(rng),
                    demo.address(rng),
                    status,
                    carrier_id,
                    tracking,
                    _ts(shipped_at),
                    shipped_by,
                    _ts(created),
                    _ts(updated),
                    "",
                ]
            )
        _load_file(cursor, order_table, order_columns, rows)
        log(f"  {chunk_start + len(rows)} orders in {time.monotonic() - began:.0f}s")

    # The ledger: one receive per item, then each shipment with its running balance.
    balance = [0] * (items + 1)
    movement_columns = [
        "item_id",
        "delta",
        "reason",
        "order_id",
        "note",
        "created_by_id",
        "created_at",
        "balance_after",
    ]
    receive_rows = []
    for item_id in range(1, items + 1):
        received = shipped_qty[item_id] + (rng.randint(0, 8) if item_id % 50 == 0 else rng.randint(50, 500))
        balance[item_id] = received
        receive_rows.append([item_id, received, "receive", r"\N", "期初库存", user.pk, _ts(start), received])
    _load_file(cursor, movement_table, movement_columns, receive_rows)
    ship_events.sort()
    for chunk_start in range(0, len(ship_events), CHUNK):
        rows = []
        for shipped_at, order_id, item_id, quantity in ship_events[chunk_start : chunk_start + CHUNK]:
            balance[item_id] -= quantity
            rows.append([item_id, -quantity, "ship", order_id, "", user.pk, _ts(shipped_at), balance[item_id]])
        _load_file(cursor, movement_table, movement_columns, rows)
    log(f"  {len(ship_events) + items} ledger rows in {time.monotonic() - began:.0f}s")

    # Final stock equals the ledger total, as adjust_stock would have left it.
    cursor.execute("CREATE TEMPORARY TABLE bench_stock (id BIGINT PRIMARY KEY, stock INT)")
    cursor.executemany(
        "INSERT INTO bench_stock (id, stock) VALUES (%s, %s)", [(i, balance[i]) for i in range(1, items + 1)]
    )
    cursor.execute(
        f"UPDATE {InventoryItem._meta.db_table} i JOIN bench_stock b ON b.id = i.id SET i.stock = b.stock"  # noqa: S608
    )
    for model in (InventoryItem, Order):
        _record_history(cursor, model, "建立历史记录")
    log(f"  history rows in {time.monotonic() - began:.0f}s")
    cursor.execute("SET foreign_key_checks = 1, unique_checks = 1")
    raw.close()

    with connection.schema_editor() as editor:
        for model in (Order, StockMovement):
            for index in _secondary_indexes(model):
                editor.add_index(model, index)
    log(f"  indexes rebuilt in {time.monotonic() - began:.0f}s")
    with connection.cursor() as c:
        for model in (InventoryItem, Order, StockMovement):
            c.execute(f"ANALYZE TABLE {model._meta.db_table}")
            c.fetchall()
    return user
