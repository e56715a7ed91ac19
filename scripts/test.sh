#!/usr/bin/env bash
# Command 2: run every test — the whole suite on SQLite, then again on MariaDB/MySQL.
# MariaDB: $OMS_TEST_MYSQL_URL, default mysql://root@127.0.0.1:3306/oms (root, no password, as on
# the dev machines). Without a reachable server the MariaDB half is reported as not run; set
# OMS_REQUIRE_MARIADB=1 (as .ci/run does) to make that a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh dev
PY=.venv/bin/python
MYSQL_URL="${OMS_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/oms}"

# The courier-batch tests run a real Celery worker against Redis (DB 15, a queue per run).
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi

echo "==> 测试 (SQLite)"
env -u DATABASE_URL $PY -m pytest -q -m "not mariadb" "$@"

if $PY -m devdata.db create "$MYSQL_URL" >/dev/null 2>&1; then
  echo "==> 测试 (MariaDB: ${MYSQL_URL})"
  DATABASE_URL="$MYSQL_URL" $PY -m pytest -q "$@"
elif [ "${OMS_REQUIRE_MARIADB:-0}" = 1 ]; then
  echo "MariaDB 不可用 ($MYSQL_URL)，但 OMS_REQUIRE_MARIADB=1" >&2
  exit 1
else
  echo "==> 跳过 MariaDB 测试: 连接不上 $MYSQL_URL (设置 OMS_TEST_MYSQL_URL 指向一个 MySQL/MariaDB)"
fi
