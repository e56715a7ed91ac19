"""The one database helper for bench/ and scripts/: parse DATABASE_URL, create or re-create its database.

    python -m devdata.db create [--fresh] [URL]    # URL defaults to $DATABASE_URL

URLs are parsed as oms/settings.py parses them (dj_database_url), so a bench and the product
always mean the same server and database. Dropping is allowed only for the benchmarks' own
databases (names starting with one of DISPOSABLE), never for a product or test database.
"""

import argparse
import os
import sys

import dj_database_url

DISPOSABLE = ("oms_bench", "oms_load", "oms_mig", "oms_scale", "oms_he_bench")


def config(url=None):
    """Django's DATABASES entry for `url` (default: $DATABASE_URL)."""
    url = url or os.environ.get("DATABASE_URL")
    if not url:
        raise ValueError("DATABASE_URL is not set")
    return dj_database_url.parse(url)


def is_mysql(url=None):
    return config(url)["ENGINE"] == "django.db.backends.mysql"


def connect(cfg, *, database=True, **options):
    """A raw MySQLdb connection to the server of `cfg` (a DATABASES entry), to its database if `database`."""
    import MySQLdb

    kwargs = {
        "host": cfg.get("HOST") or "127.0.0.1",
        "port": int(cfg.get("PORT") or 3306),
        "user": cfg.get("USER") or "root",
        "password": cfg.get("PASSWORD") or "",
        "charset": "utf8mb4",
        **options,
    }
    if database:
        kwargs["database"] = cfg["NAME"]
    return MySQLdb.connect(**kwargs)


def bulk_connection():
    """A raw autocommit connection to Django's default database that may LOAD DATA LOCAL INFILE."""
    from django.conf import settings

    return connect(settings.DATABASES["default"], local_infile=1, autocommit=True)


def create_database(url=None, *, fresh=False):
    """Create the database of `url` if missing (utf8mb4); `fresh` drops it first (bench databases only).

    Returns its name. Does nothing for SQLite (Django creates the file).
    """
    cfg = config(url)
    name = cfg["NAME"]
    if cfg["ENGINE"] != "django.db.backends.mysql":
        return name
    if fresh and not str(name).startswith(DISPOSABLE):
        raise ValueError(f"refusing to drop database {name!r}: only {', '.join(DISPOSABLE)}… may be re-created")
    conn = connect(cfg, database=False)
    try:
        cursor = conn.cursor()
        if fresh:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    finally:
        conn.close()
    return name


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["create"])
    parser.add_argument("url", nargs="?", help="default: $DATABASE_URL")
    parser.add_argument("--fresh", action="store_true", help="drop it first (bench databases only)")
    args = parser.parse_intermixed_args(argv)
    try:
        print(create_database(args.url, fresh=args.fresh))
    except Exception as exc:  # a script's check: say why, exit non-zero
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
