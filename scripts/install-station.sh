#!/usr/bin/env bash
# Installs a built Outpost checkout as the station service, or upgrades it in place. Run by
# setup-station.sh once the system packages are there and the app is built (`npm run build`).
# Re-running it upgrades and keeps /etc/outpost/config.yaml, /var/lib/outpost and the user.
#
#   sudo scripts/install-station.sh [--root DIR] [--from CHECKOUT] [--no-start]
#   sudo scripts/install-station.sh --uninstall [--purge] [--root DIR]
#
#   --root DIR   install into DIR instead of / (a staging or test root): the user is made in
#                DIR/etc (useradd --prefix); systemctl and udevadm are not run, only named.
#   --from DIR   the built checkout (default: the one this script is in).
#   --no-start   install and enable, but do not start or restart the service.
#   --camera-only  a hat-cam box (docs/camera-only.md): the first config is
#                packaging/config-camera-only.yaml and /var/lib/outpost/library (on the SD card)
#                is made a library; no card reader or USB drive is used.
#   --uninstall  stop and remove the service and the app; keeps config, state, user and every
#                library drive. With --purge also /etc/outpost, /var/lib/outpost and the user.
#
# Layout (README.md, "Running as a service"):
#   /opt/outpost/releases/<version>-<build hash>/  package.json, bin/, dist/bundle, dist/web,
#                                                  node_modules (production only), README.md
#   /opt/outpost/current -> releases/<...>         switched atomically; the previous one is kept
#   /usr/local/bin/outpost -> /opt/outpost/current/bin/outpost
#   /usr/local/lib/systemd/system/outpost.service  from packaging/systemd/
#   /etc/udev/rules.d/99-outpost.rules             from packaging/udev/
#   /etc/polkit-1/rules.d/50-outpost.rules         from packaging/polkit/
#   /etc/outpost/config.yaml                       written once (commented defaults), never replaced
#   /var/lib/outpost                               the outpost user's home (StateDirectory)
#   /etc/avahi/services/outpost.service            mDNS: http://<hostname>.local:8080/
set -euo pipefail

ROOT=""
FROM="$(cd "$(dirname "$0")/.." && pwd)"
START=1
UNINSTALL=0
PURGE=0
CAMERA_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --root=*) ROOT="${1#--root=}"; shift ;;
    --from) FROM="${2:?--from needs a directory}"; shift 2 ;;
    --from=*) FROM="${1#--from=}"; shift ;;
    --no-start) START=0; shift ;;
    --camera-only) CAMERA_ONLY=1; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "install-station: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "install-station: $*" >&2; exit 1; }
say() { echo "outpost: $*"; }

if [ -n "$ROOT" ]; then
  [ -d "$ROOT" ] || die "--root $ROOT is not a directory"
  ROOT="$(cd "$ROOT" && pwd)"
  [ "$ROOT" = / ] && ROOT=""
fi
SYSTEM=0 # 1: the real machine (/), where systemctl and udevadm are run
[ -z "$ROOT" ] && SYSTEM=1
AS_ROOT=0
[ "$(id -u)" = 0 ] && AS_ROOT=1
[ "$SYSTEM" = 1 ] && [ "$AS_ROOT" = 0 ] && die "run as root: sudo $0"
SYSTEMD=0 # systemd runs this machine (not a container or chroot)
[ "$SYSTEM" = 1 ] && [ -d /run/systemd/system ] && SYSTEMD=1

R() { echo "$ROOT$1"; }
prefix=()
[ -n "$ROOT" ] && prefix=(--prefix "$ROOT")
UNIT=/usr/local/lib/systemd/system/outpost.service
RULES=/etc/udev/rules.d/99-outpost.rules
POLKIT=/etc/polkit-1/rules.d/50-outpost.rules
AVAHI=/etc/avahi/services/outpost.service
APP=/opt/outpost
BIN=/usr/local/bin/outpost

# ---------------------------------------------------------------------------------- uninstall
if [ "$UNINSTALL" = 1 ]; then
  if [ "$SYSTEMD" = 1 ]; then
    systemctl disable --now outpost 2>/dev/null || true
  else
    say "systemd is not running here: would run systemctl disable --now outpost"
  fi
  rm -f "$(R "$UNIT")" "$(R "$RULES")" "$(R "$POLKIT")" "$(R "$AVAHI")"
  if [ -L "$(R "$BIN")" ] && [ "$(readlink "$(R "$BIN")")" = "$APP/current/bin/outpost" ]; then
    rm -f "$(R "$BIN")"
  fi
  rm -rf "$(R "$APP")"
  if [ "$SYSTEMD" = 1 ]; then systemctl daemon-reload; fi
  if [ "$SYSTEM" = 1 ] && command -v udevadm >/dev/null 2>&1 && [ -d /run/udev ]; then
    udevadm control --reload || true
  fi
  if [ "$PURGE" = 1 ]; then
    rm -rf "$(R /etc/outpost)" "$(R /var/lib/outpost)"
    if grep -q '^outpost:' "$(R /etc/passwd)" 2>/dev/null; then userdel "${prefix[@]}" outpost; fi
    if grep -q '^outpost:' "$(R /etc/group)" 2>/dev/null; then groupdel "${prefix[@]}" outpost; fi
    say "removed: the service, $APP, /etc/outpost, /var/lib/outpost and the outpost user"
  else
    say "removed: the service and $APP; kept /etc/outpost, /var/lib/outpost and the outpost user (--purge removes them)"
  fi
  say "library drives are never touched"
  exit 0
fi

# ------------------------------------------------------------------------------------ install
[ -f "$FROM/dist/bundle/outpost.js" ] && [ -f "$FROM/dist/web/index.html" ] ||
  die "$FROM is not built: run \`npm run build\` there first (setup-station.sh does)"
[ -d "$FROM/node_modules/better-sqlite3" ] ||
  die "$FROM has no node_modules: run scripts/npm-install.sh there first (setup-station.sh does)"
command -v node >/dev/null 2>&1 || die "node is not installed (setup-station.sh installs it)"
if [ "$SYSTEM" = 1 ]; then
  # The unit starts `node` from systemd's PATH; a Node.js under /root or /home (nvm) is not on it.
  case "$(command -v node)" in
    /usr/bin/node | /usr/local/bin/node | /bin/node) ;;
    *) say "warning: node is $(command -v node), not on the service's PATH (/usr/local/bin, /usr/bin): install Node.js from Debian or NodeSource" ;;
  esac
fi

# The service user. Groups: disk (blkid -p, mkfs and FUSE drivers read the card or drive
# itself), video (cameras), gpio (LEDs and the eject button through libgpiod, where it exists).
[ -f "$(R /etc/passwd)" ] || die "$(R /etc/passwd) is missing"
if ! grep -q '^outpost:' "$(R /etc/passwd)"; then
  useradd "${prefix[@]}" --system --user-group --home-dir /var/lib/outpost --no-create-home \
    --shell /usr/sbin/nologin --comment "Outpost station" outpost
  say "created the system user outpost"
fi
for g in disk video gpio; do
  if grep -q "^$g:" "$(R /etc/group)"; then usermod "${prefix[@]}" -aG "$g" outpost; fi
done
OUID="$(awk -F: '$1 == "outpost" { print $3 }' "$(R /etc/passwd)")"
OGID="$(awk -F: '$1 == "outpost" { print $4 }' "$(R /etc/passwd)")"
own() { if [ "$AS_ROOT" = 1 ]; then chown "$@"; fi; }

# The app: one directory per build, switched with a symlink, so an upgrade never mixes files of
# two builds and the running station keeps its own until it restarts.
version="$(node -p "require('$FROM/package.json').version")"
build="$(
  cd "$FROM" &&
    { find bin dist/bundle dist/web -type f -print0 | sort -z | xargs -0 sha256sum; sha256sum package.json package-lock.json; } |
    sha256sum | cut -c1-12
)"
id="$version-$build"
rel="$(R "$APP/releases/$id")"
if [ -f "$rel/.complete" ]; then
  say "release $id is already installed"
else
  stage="$rel.tmp.$$"
  rm -rf "$stage"
  mkdir -p "$stage/dist"
  cp -a "$FROM/package.json" "$FROM/package-lock.json" "$FROM/README.md" "$FROM/bin" "$stage/"
  cp -a "$FROM/dist/bundle" "$FROM/dist/web" "$stage/dist/"
  cp -a "$FROM/node_modules" "$stage/"
  # Only what the bundle loads at run time (native and worker packages); no network needed.
  (cd "$stage" && npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error >/dev/null) ||
    die "npm prune failed in $stage"
  # Readable by the service whatever umask the checkout was made with; writable by root only.
  chmod -R u+rwX,go+rX,go-w "$stage"
  own -R 0:0 "$stage"
  touch "$stage/.complete"
  mv "$stage" "$rel"
  say "installed release $id"
fi
cur="$(R "$APP/current")"
prev="$(readlink "$cur" 2>/dev/null || true)"
ln -sfn "releases/$id" "$cur.new"
mv -Tf "$cur.new" "$cur"
# Keep the previous release for a rollback (README); older ones and cut-off copies go.
for d in "$(R "$APP/releases")"/*; do
  [ -e "$d" ] || continue
  case "$(basename "$d")" in
    "$id" | "${prev#releases/}") ;;
    *) rm -rf "$d" ;;
  esac
done

# `outpost` on the PATH (replaces the `npm link` of earlier set-ups).
mkdir -p "$(R /usr/local/bin)"
if [ -L "$(R /usr/local/lib/node_modules/outpost)" ]; then rm -f "$(R /usr/local/lib/node_modules/outpost)"; fi
ln -sfn "$APP/current/bin/outpost" "$(R "$BIN")"

# Config: written once, with every key commented out; an existing file is the user's own.
install -d -m 0755 "$(R /etc/outpost)"
cfg="$(R /etc/outpost/config.yaml)"
if [ -e "$cfg" ]; then
  # The service reads it as outpost; it may hold the uplink key, so not world-readable.
  if [ "$(stat -c %g "$cfg")" = 0 ]; then own "0:$OGID" "$cfg"; fi
  chmod g+r,o-rwx "$cfg"
  say "kept $cfg (your settings)"
else
  if [ "$CAMERA_ONLY" = 1 ]; then
    install -m 0640 "$FROM/packaging/config-camera-only.yaml" "$cfg"
    say "wrote $cfg (camera-only: set node and the HQ url and key, then restart the service)"
  else
    install -m 0640 "$FROM/packaging/config.yaml" "$cfg"
    say "wrote $cfg (defaults, all commented out)"
  fi
  own "0:$OGID" "$cfg"
fi
install -d -m 0750 "$(R /var/lib/outpost)"
own "$OUID:$OGID" "$(R /var/lib/outpost)"
if [ "$CAMERA_ONLY" = 1 ] && [ ! -e "$(R /var/lib/outpost/library/outpost-drive.json)" ]; then
  node "$(R "$APP/current/dist/bundle/outpost.js")" init-drive "$(R /var/lib/outpost/library)" --label "$(hostname) SD"
  own -R "$OUID:$OGID" "$(R /var/lib/outpost/library)"
  say "made /var/lib/outpost/library (the SD card) the library"
fi

install -D -m 0644 "$FROM/packaging/systemd/outpost.service" "$(R "$UNIT")"
install -D -m 0644 "$FROM/packaging/udev/99-outpost.rules" "$(R "$RULES")"
# polkitd reads it at once (setup-station.sh installs polkitd): power-off on a low UPS battery.
install -D -m 0644 "$FROM/packaging/polkit/50-outpost.rules" "$(R "$POLKIT")"
# mDNS: tablets find the web app at http://<hostname>.local:8080/ (README "Finding the station").
install -D -m 0644 "$FROM/packaging/avahi/outpost.service" "$(R "$AVAHI")"
port="$(sed -n 's/^ *port: *\([0-9][0-9]*\).*/\1/p' "$cfg" | head -1)"
if [ -n "$port" ] && [ "$port" != 8080 ]; then sed -i "s|<port>8080</port>|<port>$port</port>|" "$(R "$AVAHI")"; fi

if [ "$SYSTEM" = 1 ] && command -v udevadm >/dev/null 2>&1 && [ -d /run/udev ]; then
  udevadm control --reload
  udevadm trigger --action=change --subsystem-match=leds --subsystem-match=rtc || true
fi

if [ "$SYSTEMD" = 1 ]; then
  systemctl daemon-reload
  systemctl enable outpost >/dev/null 2>&1
  if [ "$START" = 0 ]; then
    say "enabled (starts at boot); not started now (--no-start)"
  elif systemctl is-active --quiet outpost; then
    systemctl restart outpost
    say "restarted the service on the new release"
  else
    systemctl start outpost
    say "started the service"
  fi
  [ "$START" = 0 ] || systemctl --no-pager --lines=0 status outpost || true
elif [ "$SYSTEM" = 1 ]; then
  say "systemd is not running on this machine (a container or chroot?): the service is installed but not started."
  say "  On a station this runs: systemctl daemon-reload && systemctl enable --now outpost"
  say "  Here, start the station by hand: sudo -u outpost OUTPOST_CONFIG=/etc/outpost/config.yaml $BIN station"
else
  say "installed into $ROOT; on that system: systemctl daemon-reload && systemctl enable --now outpost"
fi
if [ "$SYSTEMD" = 1 ]; then systemctl reload-or-restart avahi-daemon 2>/dev/null || true; fi
say "tablets on the LAN: http://$(hostname).local:${port:-8080}/  (rename the box: sudo hostnamectl set-hostname outpost-<place>)"
say "check the station with: outpost doctor"
