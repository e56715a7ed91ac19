#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a NEW database (an existing one is refused), then
# check it: DATABASE_URL=mysql://USER:PASSWORD@HOST:3306/DATABASE python manage.py verify_stock
# Usage: scripts/restore.sh BACKUP.sql.gz DATABASE   (connection as in backup.sh: OMS_MYSQL_DEFAULTS)
set -euo pipefail
backup="${1:?用法: scripts/restore.sh 备份文件.sql.gz 新数据库名}"
db="${2:?用法: scripts/restore.sh 备份文件.sql.gz 新数据库名}"
client=()
[ -n "${OMS_MYSQL_DEFAULTS:-}" ] && client=(--defaults-extra-file="$OMS_MYSQL_DEFAULTS")

if [[ ! "$db" =~ ^[A-Za-z0-9_]+$ ]]; then
  echo "数据库名只能包含字母、数字和下划线: $db" >&2
  exit 2
fi
# mysqldump ends a complete dump with this line; a cut-off file must not pass for a backup.
if ! gunzip -c "$backup" | tail -n 1 | grep -q '^-- Dump completed'; then
  echo "备份文件不完整或已损坏: $backup" >&2
  exit 1
fi
mysql "${client[@]}" -e "CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
gunzip -c "$backup" | mysql "${client[@]}" "$db"
echo "已恢复到新数据库 $db。请用 verify_stock 检查库存与流水（见 docs/DEPLOYMENT.md）。"
