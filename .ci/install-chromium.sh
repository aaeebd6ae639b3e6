#!/usr/bin/env bash
# Installs Debian's chromium for the browser test of the registry's web page
# (registry/web_test.go), if it is not installed yet. Without root or apt the
# test skips and says why; this script then only warns.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
	exit 0
fi
echo "warning: chromium is not installed and cannot be installed here (needs root and apt-get); the browser test of the web page will skip" >&2
