#!/usr/bin/env bash
# Command 1: set everything up on a fresh Debian/Ubuntu machine and serve the demo.
# Safe to run again: it migrates, seeds only an empty database, and resets the demo admin's password.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh runtime
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
cat <<MSG

  订单管理系统已就绪: http://$HOST:$PORT/admin/
  用户名: admin (超级管理员), ops (运营), manager (经理)
  密码:   $(cat "$password_file")  (三个账号相同)
  (密码保存在 $password_file; 按 Ctrl+C 停止)

MSG
exec $PY manage.py runserver "$HOST:$PORT"
