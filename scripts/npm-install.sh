#!/usr/bin/env bash
# Install the locked npm dependencies. `npm ci` refuses a lockfile that lacks other platforms'
# optional packages (rollup's native binaries: npm/cli#4828, which npm writes that way here);
# `npm install` then installs the same locked versions and the one binary this platform needs.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund || npm install --no-audit --no-fund
