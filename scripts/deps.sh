#!/usr/bin/env bash
# Install every build and test dependency of meshgate from Debian packages,
# or, given package names, just those (the other scripts' own tools).
# Idempotent: when everything is present it installs nothing and needs no root.
#
#   scripts/deps.sh [PACKAGE...]
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libssl-dev libjansson-dev libcmocka-dev
  libuv1-dev libyaml-dev
  libpaho-mqtt-dev              # MQTT client (MQTTAsync)
  libwebsockets-dev             # HTTP/WebSocket server of the dashboard
  libwebsockets-evlib-uv        # ... running on meshgate's libuv loop
  mosquitto mosquitto-clients   # the real broker in integration tests
  clang-14 libclang-rt-14-dev   # libFuzzer and sanitizers
  bluez                         # btmon decodes our btsnoop captures in tests
  chromium                      # the real browser of the dashboard tests (Playwright)
  python3-yaml docker-compose   # check-deploy.sh validates the compose file
  systemd                       # systemd-analyze verifies the unit file
)
# Node.js and npm drive the browser tests; a machine that has them from
# elsewhere (nvm, NodeSource) keeps its own.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
[ $# -gt 0 ] && packages=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
