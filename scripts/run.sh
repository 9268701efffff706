#!/usr/bin/env bash
# Set up, build and run meshgate. Until the gateway lands this runs the
# packet tool on its built-in example; arguments are passed to meshgate
# (e.g. scripts/run.sh pdu decode --netkey ... PDU).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release --target meshgate >/dev/null
if [ $# -eq 0 ]; then
	set -- pdu demo
fi
exec build/release/meshgate "$@"
