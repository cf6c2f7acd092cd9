#!/usr/bin/env bash
# One-line set-up of a station on a fresh Debian 12/13 or Raspberry Pi OS (Lite too), from a
# checkout:
#   sudo ./scripts/setup-station.sh
# Installs Node.js (Debian's when it is >= 20.19, else the current LTS from NodeSource) and the
# system packages if missing, builds Outpost, and installs it as the systemd service `outpost`
# (scripts/install-station.sh): it starts now and at every boot. Re-run it after `git pull` to
# upgrade in place; /etc/outpost/config.yaml and the data are kept. Options are passed on to
# install-station.sh (--no-start, --camera-only, --uninstall [--purge]; see its --help).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "run as root: sudo $0" >&2; exit 2; fi
for a in "$@"; do
  if [ "$a" = --uninstall ]; then exec bash scripts/install-station.sh "$@"; fi
done

# Node.js >= 20.19 (require(esm), the engines of the native modules).
NODE_LTS="${OUTPOST_NODE_MAJOR:-24}"
node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a==20&&b>=19)?0:1)'
}
export DEBIAN_FRONTEND=noninteractive
if ! node_ok; then
  apt-get update -q
  # Debian 13 and Raspberry Pi OS carry 20.19 or later; Debian 12 carries 18.
  candidate="$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2 }')"
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] &&
    dpkg --compare-versions "${candidate#*:}" ge 20.19; then
    echo "installing Node.js $candidate from Debian"
    apt-get install -y -q nodejs npm
  else
    echo "Debian's Node.js ($candidate) is older than 20.19: installing Node.js $NODE_LTS LTS from NodeSource"
    apt-get install -y -q ca-certificates curl gnupg
    install -d -m 0755 /etc/apt/keyrings
    curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key |
      gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
    echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_$NODE_LTS.x nodistro main" \
      >/etc/apt/sources.list.d/nodesource.list
    apt-get update -q
    apt-get install -y -q nodejs
  fi
  node_ok || { echo "Node.js >= 20.19 could not be installed (have: $(node --version 2>/dev/null || echo none))" >&2; exit 1; }
fi
command -v npm >/dev/null 2>&1 || apt-get install -y -q npm

bash scripts/system-deps.sh
# The service (user outpost) may power the machine off on a low UPS battery through polkit.
[ -x /usr/lib/polkit-1/polkitd ] || apt-get install -y -q --no-install-recommends polkitd
# mDNS announcement (http://<hostname>.local): tablets find the station by name.
command -v avahi-daemon >/dev/null 2>&1 || apt-get install -y -q --no-install-recommends avahi-daemon
command -v make >/dev/null 2>&1 || apt-get install -y -q build-essential python3
bash scripts/npm-install.sh
npm run build
bash scripts/install-station.sh "$@"
echo
/usr/local/bin/outpost doctor || echo "outpost doctor found something to fix (above); the service runs anyway"
