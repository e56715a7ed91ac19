"""Benchmark: 商家编码对应 (issue 17) — mapping codes in bulk, resolving a platform file's codes, the import.

    DATABASE_URL=mysql://root@127.0.0.1:3306/oms_bench_sku python bench/sku_mapping_bench.py [--codes 2000]

Creates (or empties) its own database and N×2 items, then times: services.map_platform_codes of N
two-item bundles; resolve_platform_codes of N mapped codes, N plain SKUs and N/2 unknown codes;
the mapping import (a GB18030 CSV of N codes, two rows each) as preview, confirm, and the same
file again (which changes nothing). Queries are counted with a connection execute wrapper.
"""

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "mysql://root@127.0.0.1:3306/oms_bench_sku")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))

from devdata.db import create_database

create_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from inventory.models import InventoryItem  # noqa: E402
from orders import services  # noqa: E402
from orders.models import Shop, SkuMapping  # noqa: E402
from orders.resources import SkuMappingImportResource  # noqa: E402
from orders.selectors import resolve_platform_codes  # noqa: E402
from spreadsheets.formats import read_spreadsheet  # noqa: E402


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(label, work):
    counter = QueryCounter()
    start = time.perf_counter()
    with connection.execute_wrapper(counter):
        answer = work()
    print(f"{label:<48} {time.perf_counter() - start:6.2f} s  {counter.count:5d} queries")
    return answer


def reset(codes):
    SkuMapping.objects.all().delete()
    SkuMapping.history.all().delete()  # after: deleting a mapping writes its history row
    InventoryItem.objects.filter(sku__startswith="BENCH-").delete()
    new = (InventoryItem(sku=f"BENCH-{n:05d}", name=f"压测商品{n}") for n in range(codes * 2))
    InventoryItem.objects.bulk_create(new, batch_size=1000)
    shop, _created = Shop.objects.get_or_create(name="压测店铺")
    return shop, list(InventoryItem.objects.filter(sku__startswith="BENCH-").order_by("sku"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=2000)
    codes = parser.parse_args().codes
    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}, {codes} codes")

    shop, items = reset(codes)
    pairs = [(f"TB-{n}", [(items[n], 1), (items[codes + n], 2)]) for n in range(codes)]
    timed(f"map_platform_codes: {codes} bundles", lambda: services.map_platform_codes(shop, pairs))
    wanted = [f"tb-{n}" for n in range(codes)] + [item.sku for item in items[:codes]]
    wanted += [f"UNKNOWN-{n}" for n in range(codes // 2)]
    found = timed(f"resolve_platform_codes: {len(wanted)} codes", lambda: resolve_platform_codes(shop, wanted))
    assert len(found) == codes * 2

    shop, items = reset(codes)
    lines = ["店铺,商家编码,SKU,数量"]
    lines += [f"压测店铺,NEW-{n},{items[n].sku},1\r\n压测店铺,new-{n},{items[codes + n].sku},2" for n in range(codes)]
    data = ("\r\n".join(lines) + "\r\n").encode("gb18030")
    for label, dry_run in (("preview", True), ("confirm", False), ("same file again, confirm", False)):
        result = timed(
            f"import {codes * 2} rows: {label}",
            lambda dry_run=dry_run: SkuMappingImportResource().import_data(read_spreadsheet(data), dry_run=dry_run),
        )
        assert not result.has_errors() and not result.has_validation_errors(), result.problem_lines[:3]
        print(f"    {result.summary}")
    assert SkuMapping.objects.count() == codes and SkuMapping.history.count() == codes


if __name__ == "__main__":
    main()
