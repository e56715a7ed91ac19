#!/usr/bin/env bash
# Command 1: set everything up on a fresh Debian/Ubuntu machine and serve the demo.
# Safe to run again: it migrates, seeds only an empty database, and resets the demo admin's password.
#   bash scripts/demo.sh --kuaidi100   also runs a local Kuaidi100 stand-in (devdata/kuaidi100_standin.py),
#                                      Redis and a Celery worker, so 电子面单 can be tried without an account.
set -euo pipefail
cd "$(dirname "$0")/.."
kuaidi100_demo=0
for arg in "$@"; do
  case "$arg" in
    --kuaidi100) kuaidi100_demo=1 ;;
    *) echo "用法: bash scripts/demo.sh [--kuaidi100]" >&2; exit 2 ;;
  esac
done
if [ "$kuaidi100_demo" = 1 ]; then source scripts/bootstrap.sh kuaidi100; else source scripts/bootstrap.sh runtime; fi
# The demo runs in debug mode, with this installation's own random key (.secret-key, see oms/settings.py).
export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
PY=.venv/bin/python

echo "==> 数据库迁移"
$PY manage.py migrate --noinput -v0

echo "==> 角色 (运营 / 经理)"
$PY manage.py setup_roles

password_file=.admin-password
[ -s "$password_file" ] || $PY -c "import secrets; print(secrets.token_urlsafe(12))" > "$password_file"
# admin is a superuser; ops and manager show what the 运营 and 经理 roles see.
DJANGO_ADMIN_PASSWORD="$(cat "$password_file")" $PY manage.py shell -v0 -c "
import os
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
for name, group in [('admin', None), ('ops', '运营'), ('manager', '经理')]:
    user, _ = get_user_model().objects.get_or_create(username=name, defaults={'email': name + '@example.com'})
    user.is_staff = True
    user.is_superuser = group is None
    user.set_password(os.environ['DJANGO_ADMIN_PASSWORD'])
    user.save()
    if group:
        user.groups.set([Group.objects.get(name=group)])
"
echo "==> 演示数据"
$PY manage.py seed_demo --if-empty  # after the users, so demo shipments name their clerk

HOST="${OMS_HOST:-127.0.0.1}"
PORT="${OMS_PORT:-8000}"
if [ "$kuaidi100_demo" = 1 ]; then
  echo "==> 快递100 替身、Redis 和后台任务"
  if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  standin_port="${OMS_KUAIDI100_PORT:-18780}"
  export KUAIDI100_BASE_URL="http://127.0.0.1:$standin_port" KUAIDI100_KEY=standin-key \
    KUAIDI100_SECRET=standin-secret KUAIDI100_CUSTOMER=STANDINCUSTOMER \
    KUAIDI100_CALLBACK_URL="http://$HOST:$PORT/logistics/kuaidi100/push/"
  background=()
  trap 'kill "${background[@]}" 2>/dev/null || true' EXIT
  $PY -m devdata.kuaidi100_standin --port "$standin_port" --key "$KUAIDI100_KEY" --secret "$KUAIDI100_SECRET" \
    --customer "$KUAIDI100_CUSTOMER" > .kuaidi100-standin.log 2>&1 &
  background+=($!)
  .venv/bin/celery -A oms worker -l warning --concurrency 1 > .celery-worker.log 2>&1 &
  background+=($!)
  # The e-waybill needs a 寄件人; the demo's is a warehouse in 杭州 shipping with 顺丰.
  $PY manage.py shell -v0 -c "
from logistics.models import Sender
from orders.models import Carrier
Sender.objects.exists() or Sender.objects.create(name='演示仓库', phone='0571-88880000',
    address='浙江省杭州市余杭区仓前街道文一西路 1000 号', default_carrier=Carrier.objects.get(code='SF'))
"
fi
cat <<MSG

  订单管理系统已就绪: http://$HOST:$PORT/admin/
  用户名: admin (超级管理员), ops (运营), manager (经理)
  密码:   $(cat "$password_file")  (三个账号相同)
  (密码保存在 $password_file; 按 Ctrl+C 停止)
MSG
if [ "$kuaidi100_demo" = 1 ]; then
  cat <<MSG
  电子面单: 快递100 替身在 $KUAIDI100_BASE_URL（日志 .kuaidi100-standin.log），后台任务日志 .celery-worker.log；
  寄件人“演示仓库”已填好，面单是替身画的演示面单，不是真实运单。
MSG
  echo
  # In the background, so Ctrl+C or `kill` of this script stops it and the three helpers (the EXIT trap).
  $PY manage.py runserver "$HOST:$PORT" &
  background+=($!)
  trap 'exit 0' INT TERM
  wait "$!"
else
  echo
  exec $PY manage.py runserver "$HOST:$PORT"
fi
