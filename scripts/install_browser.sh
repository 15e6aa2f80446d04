#!/usr/bin/env bash
# Installs the browser the web page's end-to-end test drives (tests/e2e/test_web_page.py): Debian's Chromium and
# ChromeDriver (/usr/bin/chromium, /usr/bin/chromedriver), plus CJK fonts so Traditional Chinese renders in
# screenshots. No browser download of a test tool's own: only the Debian packages. Idempotent; needs root (or sudo).
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && [ -d /usr/share/fonts/opentype/noto ]; then
  echo "chromium and chromedriver already installed: $(chromedriver --version 2>/dev/null | head -n1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install_browser.sh: needs root or sudo to apt-get install chromium" >&2; exit 1; }
  SUDO="sudo"
fi
command -v apt-get >/dev/null 2>&1 || { echo "install_browser.sh: apt-get not found (Debian/Ubuntu expected)" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
echo "installed: $(chromium --version 2>/dev/null | head -n1); $(chromedriver --version 2>/dev/null | head -n1)"
