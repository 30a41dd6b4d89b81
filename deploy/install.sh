#!/usr/bin/env bash
# 基层治理控制台 offline installer: run as root on the intranet host, from the unpacked bundle.
#   sudo ./install.sh            first installation, or an upgrade in place with a newer bundle
# Nothing is fetched from any network. Settings (environment variables, defaults in brackets):
#   JICENG_PREFIX [/opt/jiceng]            releases/<version>-<time>/ and the `current` link
#   JICENG_INSTANCE_PATH [/var/lib/jiceng] database (SQLite), secret key, backups/
#   JICENG_ETC [/etc/jiceng]               jiceng.env, read by the units and by this script
#   JICENG_USER [jiceng]                   the service user
#   JICENG_UNIT_DIR [/etc/systemd/system]  where the units are written
#   JICENG_PYTHON [python3]                a CPython of the bundle's version
#   JICENG_DATABASE_URL, JICENG_BIND [0.0.0.0], JICENG_PORT [8080], JICENG_WORKERS [2]
#                                          written into jiceng.env on the first installation only
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${JICENG_PREFIX:-/opt/jiceng}
INSTANCE=${JICENG_INSTANCE_PATH:-/var/lib/jiceng}
ETC=${JICENG_ETC:-/etc/jiceng}
ENV_FILE=$ETC/jiceng.env
SERVICE_USER=${JICENG_USER:-jiceng}
UNIT_DIR=${JICENG_UNIT_DIR:-/etc/systemd/system}
PYTHON=${JICENG_PYTHON:-python3}

say() { echo "[jiceng] $*"; }
die() { echo "[jiceng] 错误：$*" >&2; exit 1; }

cd "$HERE"
[ "$(id -u)" = 0 ] || die "请以 root 运行（sudo ./install.sh）"

# -- 1. the bundle is whole: every file listed and unchanged, nothing added ----------------------
[ -f MANIFEST ] || die "缺少 MANIFEST：离线包不完整"
sha256sum --strict --quiet -c MANIFEST || die "离线包校验失败（上面列出的文件已损坏或被修改），未安装任何内容"
listed=$(sed 's/^[0-9a-f]\{64\}  //' MANIFEST | sort)
present=$(find . -type f ! -name MANIFEST -printf '%P\n' | sort)
[ "$listed" = "$present" ] || die "离线包中有 MANIFEST 未列出的文件：$(comm -13 <(echo "$listed") <(echo "$present") | tr '\n' ' ')"
VERSION=$(cat VERSION)
PLATFORM=$(cat PLATFORM)
say "离线包校验通过：控制台 $VERSION（$PLATFORM）"

# -- 2. the host matches the bundle -------------------------------------------------------------
arch=${PLATFORM##*-}
[ "$(uname -m)" = "$arch" ] || die "本机是 $(uname -m)，离线包是为 $arch 制作的"
tag=$(echo "$PLATFORM" | sed -n 's/.*-cp\([0-9]\)\([0-9]*\)-.*/\1.\2/p')
command -v "$PYTHON" >/dev/null || die "找不到 $PYTHON：请安装 Python $tag（Debian 12：apt-get install python3）"
found=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[ "$found" = "$tag" ] || die "$PYTHON 是 Python $found，离线包的 wheel 需要 Python $tag（用 JICENG_PYTHON 指定）"

# -- 3. the Debian packages WeasyPrint needs, only those missing ---------------------------------
missing=()
for deb in debs/*.deb; do
  [ -e "$deb" ] || continue
  pkg=$(dpkg-deb -f "$deb" Package)
  parch=$(dpkg-deb -f "$deb" Architecture)
  status=$(dpkg-query -W -f='${Status}' "$pkg:$parch" 2>/dev/null || dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$deb")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "安装缺少的系统库：${missing[*]##*/}"
  dpkg -i "${missing[@]}" >/dev/null || die "dpkg -i 失败：请查看上面的提示"
else
  say "系统库（Pango、HarfBuzz、fontconfig）已齐全，跳过"
fi

# -- 4. the service user, the instance folder and its settings -----------------------------------
if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
  useradd --system --user-group --home-dir "$INSTANCE" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
  say "已创建服务用户 $SERVICE_USER"
fi
install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$INSTANCE" "$INSTANCE/backups"
install -d -m 0755 "$ETC"
if [ ! -f "$ENV_FILE" ]; then
  umask 0027
  {
    echo "# 基层治理控制台的设置（systemd 单元与 install.sh 读取；修改后重启服务）"
    echo "JICENG_INSTANCE_PATH=$INSTANCE"
    echo "JICENG_BIND=${JICENG_BIND:-0.0.0.0}"
    echo "JICENG_PORT=${JICENG_PORT:-8080}"
    echo "JICENG_WORKERS=${JICENG_WORKERS:-2}"
    [ -z "${JICENG_DATABASE_URL:-}" ] || echo "JICENG_DATABASE_URL=$JICENG_DATABASE_URL"
  } > "$ENV_FILE"
  chgrp "$SERVICE_USER" "$ENV_FILE"
  umask 0022
  say "已写入设置 $ENV_FILE"
fi
# The console refuses to serve other hosts without its public address (links in briefings, mail,
# QR codes): an env file of an older release gets one, this host's address unless given.
if ! grep -q '^JICENG_BASE_URL=' "$ENV_FILE"; then
  public_host=${JICENG_BIND:-0.0.0.0}
  if [ "$public_host" = 0.0.0.0 ]; then public_host=$(hostname -I 2>/dev/null | awk '{print $1}'); fi
  echo "JICENG_BASE_URL=${JICENG_BASE_URL:-http://${public_host:-127.0.0.1}:${JICENG_PORT:-8080}}" >> "$ENV_FILE"
  say "对外访问地址写入 $ENV_FILE（JICENG_BASE_URL），使用域名或反向代理时请修改"
fi

# Commands of the console run as the service user with the settings the units use.
as_service() {
  ( set -a; . "$ENV_FILE"; set +a; cd "$INSTANCE"; exec runuser -u "$SERVICE_USER" -- "$@" )
}
systemd_running() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }

# -- 5. an upgrade: stop, back up with the installed release --------------------------------------
previous=""
if [ -L "$PREFIX/current" ] && [ -x "$PREFIX/current/bin/jiceng" ]; then
  previous=$(readlink -f "$PREFIX/current")
  say "检测到已安装的版本：$(basename "$previous")，升级前先停止服务并备份"
  if systemd_running; then
    systemctl stop jiceng-web.service jiceng-scheduler.service 2>/dev/null || true
  fi
  backup="$INSTANCE/backups/before-$VERSION-$(date +%Y%m%d-%H%M%S).jiceng"
  as_service "$PREFIX/current/bin/jiceng" backup "$backup" || die "备份失败，未做任何修改（旧版本仍可用）"
  say "已备份到 $backup"
fi

# -- 6. the new release: a virtualenv from the bundle's wheels only -------------------------------
release="$PREFIX/releases/$VERSION-$(date +%Y%m%d-%H%M%S)"
install -d -m 0755 "$PREFIX/releases"
# Without ensurepip (Debian's python3 has it only with python3-venv): pip runs from its wheel.
"$PYTHON" -m venv --without-pip "$release"
pip_wheel=$(ls wheels/pip-*.whl | head -n 1)
say "安装控制台及其依赖（仅使用离线包中的 wheel，校验哈希）..."
env -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_FIND_LINKS -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
  "$release/bin/python" "$pip_wheel/pip" install --quiet --no-index --disable-pip-version-check \
  --find-links wheels --require-hashes -r requirements.txt \
  || { rm -rf "$release"; die "pip 安装失败，未做任何修改"; }
install -d -m 0755 "$release/share/jiceng/fonts"
install -m 0644 fonts/* "$release/share/jiceng/fonts/"
cp requirements.txt VERSION PLATFORM "$release/"

# -- 7. migrations, roles, the admin: with the new release, before it becomes current ------------
say "初始化/升级数据库 ..."
init_output=$(as_service "$release/bin/jiceng" init 2>&1) || {
  echo "$init_output" >&2
  rm -rf "$release"
  die "jiceng init 失败；旧版本未被替换${previous:+，可用 $backup 恢复}（见 README 的回退步骤）"
}
echo "$init_output"
ln -sfn "$release" "$PREFIX/current.new" && mv -T "$PREFIX/current.new" "$PREFIX/current"

# -- 8. the systemd units: the web workers and the one scheduler -----------------------------------
set -a; . "$ENV_FILE"; set +a
install -d -m 0755 "$UNIT_DIR"
for unit in systemd/*.service.in; do
  name=$(basename "$unit" .in)
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@USER@|$SERVICE_USER|g" -e "s|@INSTANCE@|$INSTANCE|g" \
      -e "s|@ENV_FILE@|$ENV_FILE|g" -e "s|@WORKERS@|${JICENG_WORKERS:-2}|g" \
      -e "s|@BIND@|${JICENG_BIND:-0.0.0.0}|g" -e "s|@PORT@|${JICENG_PORT:-8080}|g" \
      "$unit" > "$UNIT_DIR/$name"
  chmod 0644 "$UNIT_DIR/$name"
done
if systemd_running; then
  systemctl daemon-reload
  systemctl enable jiceng-web.service jiceng-scheduler.service >/dev/null
  systemctl restart jiceng-web.service jiceng-scheduler.service
  say "已启动 jiceng-web 与 jiceng-scheduler（systemctl status jiceng-web）"
else
  say "systemd 未运行：单元已写入 $UNIT_DIR（jiceng-web.service、jiceng-scheduler.service），未启动"
fi

# -- 9. where it is ---------------------------------------------------------------------------------
host=${JICENG_BIND:-0.0.0.0}
if [ "$host" = 0.0.0.0 ]; then host=$(hostname -I 2>/dev/null | awk '{print $1}'); fi
say "安装完成：控制台 $VERSION 位于 $PREFIX/current"
say "访问地址：http://${host:-127.0.0.1}:${JICENG_PORT:-8080}/"
say "检查本机条件：$PREFIX/current/bin/jiceng doctor（以 $SERVICE_USER 运行，读取 $ENV_FILE）"
if [ -n "$previous" ]; then
  say "回退：停止服务，ln -sfn $previous $PREFIX/current，再 jiceng restore $backup --yes（见 README）"
fi
