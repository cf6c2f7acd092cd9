#!/usr/bin/env bash
# One-line set-up of a station on a fresh Debian / Raspberry Pi OS machine, from a checkout:
#   sudo ./scripts/setup-station.sh
# Installs system packages and Node.js if missing, builds Outpost, puts `outpost` on the PATH,
# and starts the station with embedded defaults (watches /media and /run/media for cards and
# library drives).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "run as root: sudo $0" >&2; exit 2; fi
if ! command -v node >/dev/null 2>&1 || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a==20&&b>=19)?0:1)'; then
  echo "installing Node.js from Debian (need >= 20.19)"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
fi
bash scripts/system-deps.sh
command -v make >/dev/null 2>&1 || apt-get install -y -q build-essential python3
bash scripts/npm-install.sh
npm run build
npm link >/dev/null
echo "starting the station (Ctrl-C stops it); config: \$OUTPOST_CONFIG or /etc/outpost/config.yaml (optional)"
exec outpost station "$@"
