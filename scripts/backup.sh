#!/usr/bin/env bash
# Back up the database (docs/DEPLOYMENT.md, 6): one consistent InnoDB snapshot, gzipped. The shop
# keeps working meanwhile: --single-transaction reads a snapshot and takes no table locks.
# Usage: scripts/backup.sh DATABASE [OUTPUT.sql.gz]   (default $OMS_BACKUP_DIR/DATABASE-YYYY-MM-DD.sql.gz)
# Connection: OMS_MYSQL_DEFAULTS=/etc/oms/backup.cnf (mode 600: [client] user= password= host=), else
# the client's own defaults (~/.my.cnf). Prints the backup's path.
set -euo pipefail
db="${1:?用法: scripts/backup.sh 数据库名 [输出文件.sql.gz]}"
out="${2:-${OMS_BACKUP_DIR:-/srv/backup}/${db}-$(date +%F).sql.gz}"
client=()
[ -n "${OMS_MYSQL_DEFAULTS:-}" ] && client=(--defaults-extra-file="$OMS_MYSQL_DEFAULTS")

# Written beside the target and renamed at the end, so a failed dump never looks like a backup.
tmp="$(mktemp "${out}.partial.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
mysqldump "${client[@]}" --single-transaction --quick --routines --triggers \
  --default-character-set=utf8mb4 "$db" | gzip >"$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
