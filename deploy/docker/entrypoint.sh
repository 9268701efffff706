#!/bin/sh
# The container's entry point: meshgate with its data in /data.
#
#   /data/config.yaml present: meshgate --config /data/config.yaml
#   absent:                    the demo on the built-in simulated mesh
#
# Arguments given to `docker run IMAGE ...` are passed on to meshgate
# (e.g. --log-level debug). A configuration whose bearer is an HCI adapter
# runs meshgate-hci, the same program with the capabilities the HCI user
# channel needs (CAP_NET_ADMIN, CAP_NET_RAW): the container must be given
# them (cap_add), or the kernel refuses to start a program that carries
# capabilities its container lacks; the other bearers need none.
set -eu
data=${MESHGATE_DATA:-/data}
program=/usr/local/bin/meshgate
if [ -f "$data/config.yaml" ]; then
	if grep -Eq '^[[:space:]]*type:[[:space:]]*hci([[:space:]]|$)' "$data/config.yaml"; then
		program=/usr/local/bin/meshgate-hci
	fi
	exec "$program" --config "$data/config.yaml" --data "$data" "$@"
fi
echo "meshgate: no $data/config.yaml: running the demo on the built-in simulated mesh" >&2
exec "$program" --data "$data" "$@"
