#!/usr/bin/env bash
# Shared by demo.sh, test.sh and .ci/run: Debian packages, the virtualenv, Python packages.
# Usage: source scripts/bootstrap.sh [runtime|kuaidi100|dev]
#   dev adds the test tools and Chromium; kuaidi100 (demo.sh --kuaidi100) adds Redis for the task queue.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROFILE="${1:-runtime}"

debian_packages=(python3-venv python3-dev build-essential pkg-config libmariadb-dev fonts-noto-cjk)
[ "$PROFILE" = dev ] && debian_packages+=(chromium mariadb-client redis-server)
[ "$PROFILE" = kuaidi100 ] && debian_packages+=(redis-server)
# The export tests open the CSV/XLSX downloads in a real spreadsheet program (headless soffice);
# without its recommends (Java, help, extra fonts) it is a quarter of the download.
lean_packages=()
[ "$PROFILE" = dev ] && lean_packages+=(libreoffice-calc)

missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
lean_missing=()
for pkg in "${lean_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || lean_missing+=("$pkg")
done
if [ $((${#missing[@]} + ${#lean_missing[@]})) -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> 安装系统软件包: ${missing[*]} ${lean_missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if [ ${#lean_missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${lean_missing[@]}" >/dev/null
  fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  echo "==> 创建虚拟环境 .venv"
  "$PYTHON" -m venv "$ROOT/.venv"
fi
requirements="$ROOT/requirements.txt"
[ "$PROFILE" = dev ] && requirements="$ROOT/requirements-dev.txt"
stamp="$ROOT/.venv/.installed-$(basename "$requirements")"
if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ "$ROOT/requirements.txt" -nt "$stamp" ]; then
  echo "==> 安装 Python 依赖 ($(basename "$requirements"))"
  "$ROOT/.venv/bin/python" -m pip install -q --upgrade pip
  "$ROOT/.venv/bin/python" -m pip install -q -r "$requirements"
  # jionlp (省/市/区) unzips its dictionaries into its own folder on first import: do it now, while installing.
  "$ROOT/.venv/bin/python" -c "import jionlp" >/dev/null
  touch "$stamp"
fi
