#!/usr/bin/env bash
# Debian's Chromium, its driver and NSS's certutil, for `make smoke` and the
# browser check in the tests. Installed with apt when missing (as root, or
# with sudo); a browser that a tool downloads at run time is not used.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v certutil >/dev/null 2>&1 || missing+=(libnss3-tools)
((${#missing[@]})) || exit 0
if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "browser: ${missing[*]} missing; install them as root (apt-get install ${missing[*]})" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "browser: ${missing[*]} missing and no apt-get here; install Chromium and chromedriver yourself" >&2
    exit 1
fi
echo "browser: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
