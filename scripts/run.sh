#!/usr/bin/env bash
# Set up, build and run meshgate. Without arguments the gateway runs the
# demo on the built-in simulated mesh (a stairway with lamps, switches, a
# sensor and a relay chain) and publishes it on a local Mosquitto (started
# here when none runs); Ctrl-C stops it. Arguments are passed to meshgate,
# e.g.:
#   scripts/run.sh --config config.yaml
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
# The demo publishes to localhost:1883: start a Mosquitto there for the
# session when nothing listens yet.
if [ "$1" = run ] || [ "${1#-}" != "$1" ]; then
	if ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
		echo "run: starting Mosquitto on 127.0.0.1:1883 for this session"
		mosquitto -p 1883 >/dev/null 2>&1 &
		broker=$!
		trap 'kill $broker 2>/dev/null' EXIT
		sleep 0.5
	fi
fi
build/release/meshgate "$@"
