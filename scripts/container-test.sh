#!/usr/bin/env bash
# The container image, built and run as users run it (Podman here, through
# ../shared/tools/container-env.sh, since this machine has no Docker
# engine): it must start as a non-root user, answer /health and pass its
# own HEALTHCHECK, connect to a Mosquitto on the host and publish
# meshgate/bridge/state online, and stop cleanly on SIGTERM within a few
# seconds, publishing offline itself (not through the Last Will).
#
#   scripts/container-test.sh        (as root: Podman's storage needs it here)
set -euo pipefail
cd "$(dirname "$0")/.."

env_tool=${CONTAINER_ENV:-../shared/tools/container-env.sh}
image=meshgate:test
name=meshgate-test-$$
work=$(mktemp -d /tmp/meshgate-container-XXXXXX)
broker_pid=

fail() { echo "container-test: FAILED: $*" >&2; exit 1; }
# Both containers go before the work directory: a running one still writes
# its database into the volume, and rm -rf then races it ("Directory not
# empty").
cleanup() {
	local container
	for container in "$name" "$name-demo"; do
		"$env_tool" podman rm -f -t 2 "$container" >/dev/null 2>&1 || true
	done
	[ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "container-test: building the image"
"$env_tool" build --format docker -q -t "$image" . >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "image build"; }

mqtt_port=$(free_port)
web_port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$mqtt_port" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker_pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$mqtt_port") 2>/dev/null && break; sleep 0.1; done

# The data volume: a configuration on the host's broker and free ports;
# the container's user (uid 1000) owns it.
mkdir -p "$work/data"
cat >"$work/data/config.yaml" <<YAML
mqtt:
  server: mqtt://127.0.0.1:$mqtt_port
bearer:
  type: simulator
web:
  port: $web_port
  password: container-test
YAML
chown -R 1000:1000 "$work/data"

mosquitto_sub -p "$mqtt_port" -t meshgate/bridge/state -v >"$work/state.log" 2>&1 &
sub_pid=$!

echo "container-test: starting it (web on $web_port, broker on $mqtt_port)"
"$env_tool" run -d --name "$name" --network host -e MESHGATE_WEB_PORT="$web_port" \
	-v "$work/data:/data" "$image" >/dev/null 2>"$work/run.err"
logs() { "$env_tool" podman logs "$name" 2>&1 | tail -30; }

uid=$("$env_tool" podman exec "$name" id -u) || { logs; fail "exec in the container"; }
[ "$uid" != 0 ] || fail "the container runs as root"
echo "container-test: runs as uid $uid"

health=
for _ in $(seq 60); do
	health=$(python3 - "$web_port" <<'PY' 2>/dev/null || true
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=2) as r:
    print(r.status, r.read().decode())
PY
)
	case $health in 200*) break ;; esac
	sleep 0.5
done
case $health in 200*) echo "container-test: /health: $health" ;; *) logs; fail "no 200 from /health" ;; esac
"$env_tool" podman healthcheck run "$name" >/dev/null || { logs; fail "the image's HEALTHCHECK"; }
echo "container-test: HEALTHCHECK passes"

for _ in $(seq 60); do grep -q '"state":"online"' "$work/state.log" && break; sleep 0.5; done
grep -q '"state":"online"' "$work/state.log" || { logs; fail "no bridge/state online on the host's broker"; }
echo "container-test: meshgate/bridge/state online"

start=$(date +%s%N)
"$env_tool" podman stop -t 10 "$name" >/dev/null
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
code=$("$env_tool" podman inspect -f '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || { logs; fail "exit code $code after SIGTERM"; }
[ "$elapsed_ms" -lt 5000 ] || fail "SIGTERM took ${elapsed_ms} ms"
sleep 0.5
kill "$sub_pid" 2>/dev/null || true
last_state=$(tail -n 1 "$work/state.log")
case $last_state in *'"state":"offline"'*) ;; *) fail "no offline after SIGTERM: $last_state" ;; esac
stop_log=$("$env_tool" podman logs "$name" 2>&1)
case $stop_log in *"SIGTERM: shutting down"*) ;; *) logs; fail "meshgate did not log the SIGTERM" ;; esac
echo "container-test: stopped by SIGTERM in ${elapsed_ms} ms, exit 0, offline published"
# `docker run` alone: no configuration, the demo on the simulator, the
# dashboard's address and its generated password in the log, once.
demo_port=$(free_port)
mkdir -p "$work/demo"
chown 1000:1000 "$work/demo"
"$env_tool" run -d --name "$name-demo" -p "$demo_port:8080" -v "$work/demo:/data" "$image" \
	>/dev/null 2>"$work/run-demo.err"
for _ in $(seq 60); do
	python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$demo_port/health', timeout=2)" \
		2>/dev/null && break
	sleep 0.5
done
demo_log=$("$env_tool" podman logs "$name-demo" 2>&1)
grep -q "running the demo on the built-in simulated mesh" <<<"$demo_log" || fail "the demo did not start: $demo_log"
grep -Eq "web dashboard: .* password: [^ ]+ \(shown once" <<<"$demo_log" || fail "no dashboard password in the log"
[ "$(stat -c %a "$work/demo/web_auth.json")" = 600 ] || fail "web_auth.json is not mode 0600"
python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$demo_port/health', timeout=2)" \
	|| fail "the demo's dashboard does not answer /health"
echo "container-test: without a configuration: the demo, its dashboard and password"
echo "container-test: ok"
