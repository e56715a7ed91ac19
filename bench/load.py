"""Bulk loader for the scale benchmark: a year of a busy shop's orders, lines and parcels, in minutes.

Rows are generated in Python and streamed into MariaDB with LOAD DATA LOCAL INFILE in chunks;
the secondary indexes are dropped first and rebuilt once at the end (a sorted index build is far
faster than a million random index inserts into a 128 MB buffer pool). The data has the shapes
of DESIGN.md section 1: a third of the orders multi-line (2-4 lines, about 1.4 lines an order),
most shipped in one parcel, some merged with the receiver's previous order (合并发货), some split
(拆单: shipped in two parcels, or partly shipped), a few with a voided parcel. The ledger is
written too, so `verify_stock` holds on the loaded data: one `receive` row per item, one `ship`
row per parcel line and one `restock` row per voided parcel line, with true running balances.
"""

import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from devdata.db import bulk_connection
from inventory.models import InventoryItem, StockMovement
from orders import demo
from orders.models import Carrier, Order, OrderLine, Parcel, ParcelLine
from orders.selectors import default_shop

CHUNK = 100_000
# Share of each carrier among parcels (SF and ZTO carry most).
CARRIER_WEIGHTS = {"SF": 18, "ZTO": 22, "YTO": 16, "STO": 12, "YD": 12, "JTSD": 10, "JD": 6, "EMS": 4}
# Lines per multi-line order: 2 mostly (a third of the orders, about 1.4 lines an order overall).
MULTI_LINE_SHARE = 1 / 3
MULTI_LINE_COUNTS, MULTI_LINE_WEIGHTS = (2, 3, 4), (80, 15, 5)
SAME_RECEIVER = 0.03  # an order to the previous order's receiver (a merge candidate)
SPLIT = 0.10  # of shipped multi-line orders: two parcels
VOIDED = 0.01  # of shipped orders: a voided parcel before the live one
NULL = r"\N"
# Numbers from the parcel id through a bijection mod 10**digits: unique per carrier, random-looking.
SCRAMBLE = 7_919_000_003


def _ts(seconds):
    """A LOAD DATA timestamp from epoch seconds (or NULL)."""
    if seconds is None:
        return NULL
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


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


INDEXED = (Order, StockMovement, Parcel)


def _record_history(cursor, model, reason):
    """One '+' history row per loaded row, as the migration that switched history on gives them."""
    from audit.migration_ops import HISTORY_ONLY

    history = model.history.model
    columns = [f.column for f in history._meta.concrete_fields if f.attname not in HISTORY_ONLY]
    listed = ", ".join(columns)
    cursor.execute(
        f"INSERT INTO {history._meta.db_table} ({listed}, history_date, history_type, history_change_reason) "  # noqa: S608
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


class _Parcels:
    """The parcels being generated: ids in creation order, each with its lines and ledger events."""

    COLUMNS = [
        "id",
        "carrier_id",
        "tracking_number",
        "live_number",
        "status",
        "shipped_at",
        "shipped_by_id",
        "voided_at",
        "voided_by_id",
        "created_at",
    ]
    LINE_COLUMNS = ["id", "parcel_id", "line_id", "quantity"]

    def __init__(self, rng, carriers, user_id):
        self.rng, self.user_id = rng, user_id
        self.codes = [code for code in CARRIER_WEIGHTS if code in carriers]
        self.weights = [CARRIER_WEIGHTS[code] for code in self.codes]
        self.carriers = carriers
        self.rows = []  # the parcel rows of the current chunk
        self.lines = []  # its parcel lines
        self.events = []  # (time, item, delta, reason, order, parcel, line) for the ledger, all chunks
        self.next_id = self.next_line_id = 1
        self.counts = {"parcels": 0, "merged": 0, "split": 0, "voided": 0, "parcel_lines": 0}

    def ship(self, order_id, lines, shipped_at, *, voided_at=None):
        """A new parcel holding `lines` [(line id, item id, quantity)]; returns its id."""
        parcel_id, self.next_id = self.next_id, self.next_id + 1
        code = self.rng.choices(self.codes, self.weights)[0]
        prefix, digits = demo.TRACKING_FORMATS[code]
        number = f"{prefix}{parcel_id * SCRAMBLE % 10**digits:0{digits}d}"
        live = voided_at is None
        self.rows.append(
            [
                parcel_id,
                self.carriers[code],
                number,
                number if live else NULL,
                Parcel.Status.SHIPPED if live else Parcel.Status.VOIDED,
                _ts(shipped_at),
                self.user_id,
                _ts(voided_at),
                NULL if live else self.user_id,
                _ts(shipped_at),
            ]
        )
        self.counts["parcels"] += 1
        self.counts["voided"] += not live
        self.add(parcel_id, order_id, lines, shipped_at, voided_at=voided_at)
        return parcel_id

    def add(self, parcel_id, order_id, lines, shipped_at, *, voided_at=None):
        """Put `lines` into parcel `parcel_id` (a new one, or a merge into the receiver's earlier parcel)."""
        for line_id, item_id, quantity in lines:
            self.lines.append([self.next_line_id, parcel_id, line_id, quantity])
            self.next_line_id += 1
            self.events.append((shipped_at, item_id, -quantity, "ship", order_id, parcel_id, line_id))
            if voided_at is not None:
                self.events.append((voided_at, item_id, quantity, "restock", order_id, parcel_id, line_id))
        self.counts["parcel_lines"] += len(lines)

    def flush(self, cursor):
        _load_file(cursor, Parcel._meta.db_table, self.COLUMNS, self.rows)
        _load_file(cursor, ParcelLine._meta.db_table, self.LINE_COLUMNS, self.lines)
        self.rows, self.lines = [], []


def load(total_orders, *, items=20_000, seed=2026, now=None, log=print):
    """Fill an empty, migrated database with `items` items and `total_orders` orders with lines and parcels.

    Returns the bench user and a dict of what was loaded.
    """
    if Order.objects.exists():
        raise RuntimeError("the benchmark database already has orders")
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).timestamp()
    start = now - 365 * 86400
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True, "email": "bench@example.com"}
    )
    user.set_password("bench-pw-123")
    user.save()
    carriers = {c.code: c.pk for c in Carrier.objects.all()}
    parcels = _Parcels(rng, carriers, user.pk)
    began = time.monotonic()

    raw = bulk_connection()
    cursor = raw.cursor()
    cursor.execute("SET foreign_key_checks = 0, unique_checks = 0")
    with connection.schema_editor() as editor:
        for model in INDEXED:
            for index in model._meta.indexes:
                editor.remove_index(model, index)

    # Items: 20,000 SKUs sharing the demo products' pictures (written once into MEDIA_ROOT).
    write_pictures()
    item_rows = []
    for n in range(1, items + 1):
        product = rng.randrange(len(demo.PRODUCTS))
        item_rows.append(
            [n, f"SKU-B{n:06d}", f"{demo.PRODUCTS[product]} #{n}", f"items/bench-{product:02d}.png", 0, 10]
            + [_ts(start)] * 2
        )
    _load_file(
        cursor,
        InventoryItem._meta.db_table,
        ["id", "sku", "name", "image", "stock", "low_stock_threshold", "created_at", "updated_at"],
        item_rows,
    )
    log(f"  {items} items in {time.monotonic() - began:.0f}s")

    # A few popular items take most lines, like a real shop's catalogue.
    popular = [rng.randint(1, items) for _ in range(items // 10)]
    order_columns = [
        "id",
        "order_no",
        "customer_id",
        "receiver_name",
        "receiver_phone",
        "address",
        "status",
        "created_at",
        "updated_at",
        "note",
        "shop_id",
        "ship_by",
    ]
    shop_id = default_shop().pk  # every bench order in one shop, due 48 hours after it was placed
    line_columns = ["id", "order_id", "item_id", "quantity", "sub_order_no"]
    counts = {"orders": total_orders, "lines": 0, "multi_line": 0, "partial": 0}
    step = (now - start) / total_orders
    line_id = 0
    receiver, previous = None, None  # previous: (receiver, live parcel id, its ship time) of the last order
    for chunk_start in range(0, total_orders, CHUNK):
        orders, lines = [], []
        for n in range(chunk_start, min(chunk_start + CHUNK, total_orders)):
            order_id = n + 1
            created = start + n * step + rng.random() * step
            order_no = f"DD{datetime.fromtimestamp(created, UTC):%y%m%d}{order_id:08d}"
            count = 1
            if rng.random() < MULTI_LINE_SHARE:
                count = rng.choices(MULTI_LINE_COUNTS, MULTI_LINE_WEIGHTS)[0]
                counts["multi_line"] += 1
            chosen = set()
            order_lines = []
            while len(chosen) < count:
                item_id = rng.choice(popular) if rng.random() < 0.6 else rng.randint(1, items)
                if item_id in chosen:
                    continue
                chosen.add(item_id)
                line_id += 1
                quantity = rng.choice((1, 1, 1, 1, 2, 2, 3))
                order_lines.append((line_id, item_id, quantity))
                lines.append([line_id, order_id, item_id, quantity, f"{order_no}-{len(chosen)}"])
            same = previous is not None and rng.random() < SAME_RECEIVER
            if not same:
                receiver = (demo.person_name(rng), demo.phone(rng), demo.address(rng))

            roll, status, updated, live = rng.random(), "pending", created, None
            shipped = created + rng.uniform(2, 48) * 3600
            if roll < 0.80 and shipped + 72 * 3600 < now:  # the last days' orders are still pending
                status, updated = "shipped", shipped
                if rng.random() < VOIDED:
                    # A parcel voided (撤销发货) an hour after it went out, then a new one.
                    voided = created + rng.uniform(1, 2) * 3600
                    parcels.ship(order_id, order_lines, created + 3600, voided_at=voided)
                    updated = max(shipped, voided + 600)
                    live = parcels.ship(order_id, order_lines, updated)
                elif same and previous[1] and previous[2] > created:
                    # 合并发货: into the receiver's earlier parcel, not out yet when this order came in.
                    live, updated = previous[1], previous[2]
                    parcels.add(live, order_id, order_lines, updated)
                    parcels.counts["merged"] += 1
                elif count > 1 and rng.random() < SPLIT:
                    cut = rng.randint(1, count - 1)
                    parcels.ship(order_id, order_lines[:cut], shipped)
                    updated = shipped + rng.uniform(2, 72) * 3600
                    parcels.ship(order_id, order_lines[cut:], updated)
                    parcels.counts["split"] += 1
                else:
                    live = parcels.ship(order_id, order_lines, shipped)
            elif roll < 0.85:
                status, updated = "cancelled", created + rng.uniform(1, 24) * 3600
            elif roll < 0.86 and count > 1 and shipped < now:
                # 部分发货: the first line went out, the rest waits for stock.
                status = "partial"
                updated = created + rng.uniform(2, 48) * 3600
                parcels.ship(order_id, order_lines[:1], updated)
                counts["partial"] += 1
            elif roll < 0.862 and created + 7200 < now:
                # Shipped, then the parcel voided (撤销发货): pending again.
                updated = created + 7200
                parcels.ship(order_id, order_lines, created + 3600, voided_at=updated)
            previous = (receiver, live, updated if live else 0)
            orders.append(
                [
                    order_id,
                    order_no,
                    f"U{rng.randint(100000, 999999)}",
                    *receiver,
                    status,
                    _ts(created),
                    _ts(updated),
                    "",
                    shop_id,
                    _ts(created + 48 * 3600),
                ]
            )
        _load_file(cursor, Order._meta.db_table, order_columns, orders)
        _load_file(cursor, OrderLine._meta.db_table, line_columns, lines)
        parcels.flush(cursor)
        counts["lines"] = line_id
        log(f"  {chunk_start + len(orders)} orders, {line_id} lines in {time.monotonic() - began:.0f}s")

    # The ledger: one receive per item, then every parcel line's ship (and restock) in time order.
    events = parcels.events
    events.sort()
    taken = [0] * (items + 1)
    for _time, item_id, delta, *_rest in events:
        taken[item_id] -= delta
    balance = [0] * (items + 1)
    movement_columns = [
        "item_id",
        "delta",
        "reason",
        "order_id",
        "parcel_id",
        "line_id",
        "note",
        "created_by_id",
        "created_at",
        "balance_after",
    ]
    rows = []
    for item_id in range(1, items + 1):
        received = max(taken[item_id], 0) + (rng.randint(0, 8) if item_id % 50 == 0 else rng.randint(50, 500))
        balance[item_id] = received
        rows.append([item_id, received, "receive", NULL, NULL, NULL, "期初库存", user.pk, _ts(start), received])
    _load_file(cursor, StockMovement._meta.db_table, movement_columns, rows)
    for chunk_start in range(0, len(events), CHUNK):
        rows = []
        for at, item_id, delta, reason, order_id, parcel_id, line in events[chunk_start : chunk_start + CHUNK]:
            balance[item_id] += delta
            rows.append([item_id, delta, reason, order_id, parcel_id, line, "", user.pk, _ts(at), balance[item_id]])
        _load_file(cursor, StockMovement._meta.db_table, movement_columns, rows)
    log(f"  {len(events) + items} ledger rows in {time.monotonic() - began:.0f}s")

    # Final stock equals the ledger total, as adjust_stocks would have left it.
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
        for model in INDEXED:
            for index in model._meta.indexes:
                editor.add_index(model, index)
    log(f"  indexes rebuilt in {time.monotonic() - began:.0f}s")
    with connection.cursor() as c:
        for model in (InventoryItem, Order, OrderLine, Parcel, ParcelLine, StockMovement):
            c.execute(f"ANALYZE TABLE {model._meta.db_table}")
            c.fetchall()
    return user, {**counts, **parcels.counts, "ledger_rows": len(events) + items}
