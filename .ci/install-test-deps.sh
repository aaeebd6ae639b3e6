#!/usr/bin/env bash
# Installs the Debian packages some tests read, if they are missing:
#   chromium               the browser test of the registry's web page
#                          (registry/web_test.go);
#   dataset-fashion-mnist  the official Fashion-MNIST IDX files under
#                          /usr/share/datasets/fashion-mnist/, for the
#                          Fashion-MNIST CNN tests (model/onnx, circuits).
# Without root or apt those tests skip and say why; this script then only
# warns.
set -euo pipefail
need=()
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
	need+=(chromium)
fi
if [ ! -d /usr/share/datasets/fashion-mnist ]; then
	need+=(dataset-fashion-mnist)
fi
if [ ${#need[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	exit 0
fi
echo "warning: ${need[*]} not installed and cannot be installed here (needs root and apt-get); the tests that need them will skip" >&2
