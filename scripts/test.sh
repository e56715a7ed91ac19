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

# The two halves run at the same time (each is mostly one core), each on its own fixed ports
# (OMS_TEST_PORT_OFFSET, see tests/replication.py); the SQLite half's output follows the MariaDB half's.
sqlite_log="$(mktemp -t oms-test-sqlite.XXXXXX)"
run_sqlite_half() {
  env -u DATABASE_URL OMS_TEST_PORT_OFFSET=0 $PY -m pytest -q -p no:cacheprovider -m "not mariadb" "$@" >"$sqlite_log" 2>&1
}

if $PY -m devdata.db create "$MYSQL_URL" >/dev/null 2>&1; then
  run_sqlite_half "$@" &
  sqlite_pid=$!
  echo "==> 测试 (MariaDB: ${MYSQL_URL})；SQLite 同时在后台运行"
  mariadb_status=0
  DATABASE_URL="$MYSQL_URL" OMS_TEST_PORT_OFFSET=100 $PY -m pytest -q -p no:cacheprovider "$@" || mariadb_status=$?
  sqlite_status=0
  wait "$sqlite_pid" || sqlite_status=$?
  echo "==> 测试 (SQLite)"
  cat "$sqlite_log"
  rm -f "$sqlite_log"
  if [ "$mariadb_status" -ne 0 ] || [ "$sqlite_status" -ne 0 ]; then
    echo "测试失败：MariaDB 退出码 $mariadb_status，SQLite 退出码 $sqlite_status" >&2
    exit 1
  fi
elif [ "${OMS_REQUIRE_MARIADB:-0}" = 1 ]; then
  echo "MariaDB 不可用 ($MYSQL_URL)，但 OMS_REQUIRE_MARIADB=1" >&2
  exit 1
else
  echo "==> 测试 (SQLite)"
  sqlite_status=0
  run_sqlite_half "$@" || sqlite_status=$?
  cat "$sqlite_log"
  rm -f "$sqlite_log"
  echo "==> 跳过 MariaDB 测试: 连接不上 $MYSQL_URL (设置 OMS_TEST_MYSQL_URL 指向一个 MySQL/MariaDB)"
  exit "$sqlite_status"
fi
