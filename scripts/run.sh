#!/usr/bin/env bash
# Set up, build and run meshgate. Without arguments the gateway runs on the
# built-in simulated mesh (a stairway with lamps, switches, a sensor and a
# relay chain) and logs what it hears; Ctrl-C stops it. Arguments are passed
# to meshgate, e.g.:
#   scripts/run.sh run --bearer uart:/dev/ttyACM0 --hci-log /tmp/hci.btsnoop
#   scripts/run.sh run --bearer hci:hci0
#   scripts/run.sh pdu demo
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release --target meshgate meshsim >/dev/null
if [ $# -eq 0 ]; then
	set -- run
fi
exec build/release/meshgate "$@"
