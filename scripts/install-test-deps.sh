#!/usr/bin/env bash
# Installs what the browser test of the HTML report needs: Debian's chromium package.
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (or sudo).
#
#   scripts/install-test-deps.sh
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium is already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "run this script as root: it installs the chromium package" >&2; exit 2; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
