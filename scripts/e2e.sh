#!/usr/bin/env bash
# Run the dashboard's browser tests (tests/e2e): Chromium, driven by
# playwright-core, against the real meshgate on the meshsim simulator.
#
#   scripts/e2e.sh [BUILD_DIR]      (default build/release)
#
# meshgate and meshsim are built in BUILD_DIR if they are not up to date.
# The npm dependencies are installed from tests/e2e/package-lock.json
# (npm ci) when they are missing or the lock file changed. Screenshots and
# the logs of both programs go to BUILD_DIR/e2e-artifacts (or
# $E2E_ARTIFACTS). CHROMIUM overrides the browser (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build/release}
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target meshgate meshsim >/dev/null

for tool in node npm; do
	command -v "$tool" >/dev/null || { echo "e2e: $tool is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "e2e: no Chromium at $chromium (scripts/deps.sh installs it)" >&2; exit 1; }

# npm ci only when the installed packages are not those of the lock file:
# the lock file's checksum is kept next to them after a successful install.
e2e=tests/e2e
stamp=$e2e/node_modules/.meshgate-lock.sha256
want=$(sha256sum "$e2e/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "e2e: npm ci in $e2e"
	(cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
	echo "$want" >"$stamp"
fi

build=$(cd "$build" && pwd)
export MESHGATE_BUILD=$build
export E2E_ARTIFACTS=${E2E_ARTIFACTS:-$build/e2e-artifacts}
export CHROMIUM=$chromium
echo "e2e: screenshots and logs in $E2E_ARTIFACTS"
cd "$e2e"
exec node --test --test-reporter=spec dashboard.test.js
