#!/usr/bin/env bash
# Check the deployment files without a container engine or a registry:
#
#   deploy/docker-compose.yml      parsed as YAML and checked against what
#                                  Compose accepts and what this project
#                                  needs (below); every path it references
#                                  must exist in the repository
#   deploy/mosquitto/mosquitto.conf  loaded by a real Mosquitto, which must
#                                  then answer the compose file's health check
#   deploy/config/config.example.yaml  loaded by meshgate itself (a one-second
#                                  run on the simulator), and a copy with a
#                                  misspelt key must be refused
#   deploy/systemd/meshgate.service  systemd-analyze verify
#
# usage: scripts/check-deploy.sh [path/to/meshgate]   (default build/release/meshgate)
# Exit status 0 when everything holds, 1 otherwise; each problem is one line
# starting with "check-deploy: FAIL".
set -euo pipefail
cd "$(dirname "$0")/.."

meshgate=${1:-build/release/meshgate}
failed=0
fail() { echo "check-deploy: FAIL: $*" >&2; failed=1; }
ok() { echo "check-deploy: ok: $*"; }

# The Debian packages this check needs, installed by scripts/deps.sh:
# nothing happens (and no root is needed) when they are present.
need=(python3 python3-yaml mosquitto mosquitto-clients systemd)
scripts/deps.sh "${need[@]}" || echo "check-deploy: could not install ${need[*]}" >&2

tmp=$(mktemp -d)
broker_pid=""
cleanup() {
	[ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- the compose file -------------------------------------------------------
if ! python3 -c 'import yaml' 2>/dev/null; then
	fail "python3 with PyYAML (Debian python3-yaml) is needed to read deploy/docker-compose.yml"
else
	python3 - deploy/docker-compose.yml <<'EOF' || failed=1
import os, re, sys
import yaml

path = sys.argv[1]
base = os.path.dirname(path)
problems = []

def bad(msg):
	problems.append(msg)

# Compose files are YAML 1.2-ish; a key given twice silently wins in PyYAML,
# so refuse duplicates here as Compose v2 does.
class StrictLoader(yaml.SafeLoader):
	pass

def no_duplicates(loader, node, deep=False):
	seen = {}
	for key_node, _ in node.value:
		key = loader.construct_object(key_node, deep=deep)
		if key in seen:
			raise yaml.constructor.ConstructorError(
				None, None, "duplicate key %r (first at line %d)" % (key, seen[key] + 1),
				key_node.start_mark)
		seen[key] = key_node.start_mark.line
	return loader.construct_mapping(node, deep)

StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, no_duplicates)

text = open(path, encoding="utf-8").read()
try:
	doc = yaml.load(text, Loader=StrictLoader)
except yaml.YAMLError as e:
	print("check-deploy: FAIL: %s: not valid YAML: %s" % (path, e), file=sys.stderr)
	sys.exit(1)

# Keys of the Compose Specification (services and top level) that this file
# may use; anything else is a typo Compose would reject or, worse, ignore.
TOP_KEYS = {"services", "volumes", "networks", "configs", "secrets", "name", "include"}
SERVICE_KEYS = {
	"build", "image", "restart", "ports", "volumes", "environment", "env_file",
	"devices", "cap_add", "cap_drop", "network_mode", "networks", "depends_on",
	"healthcheck", "profiles", "command", "entrypoint", "user", "stop_signal",
	"stop_grace_period", "device_cgroup_rules", "extra_hosts", "labels", "logging",
	"container_name", "privileged", "security_opt", "tmpfs", "ulimits", "init",
	"read_only", "working_dir", "expose", "group_add", "pull_policy", "secrets",
	"configs", "hostname", "dns", "sysctls", "shm_size", "mem_limit", "cpus",
}
HEALTH_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}
RESTART = {"no", "always", "on-failure", "unless-stopped"}
DURATION = re.compile(r"^(\d+(\.\d+)?(us|ms|s|m|h))+$")
# Images pulled from a registry: only these, with tags their publishers
# document (eclipse-mosquitto on Docker Hub: 2, 2.0, 2.0.x, latest; Home
# Assistant's container: stable, beta, dev, latest, YYYY.M[.x]).
KNOWN_IMAGES = {
	"eclipse-mosquitto": re.compile(r"^(2|2\.0|2\.0\.\d+|latest)$"),
	"ghcr.io/home-assistant/home-assistant": re.compile(r"^(stable|beta|dev|latest|\d{4}\.\d{1,2}(\.\d+)?)$"),
}
# docker/distribution's reference grammar, simplified: [registry/]path[:tag]
REFERENCE = re.compile(
	r"^(?:(?P<registry>[a-z0-9]+(?:[.-][a-z0-9]+)*(?::\d+)?)/)?"
	r"(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
	r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?$")
PORT = re.compile(r"^(?:(?P<ip>[0-9.]+|\[[0-9a-fA-F:]+\]):)?(?:(?P<host>\d+):)?(?P<ctr>\d+)(?:/(?:tcp|udp))?$")

if not isinstance(doc, dict):
	print("check-deploy: FAIL: %s: not a mapping" % path, file=sys.stderr)
	sys.exit(1)
for k in doc:
	if k not in TOP_KEYS:
		bad("top level: unknown key %r" % k)
services = doc.get("services") or {}
declared_volumes = set((doc.get("volumes") or {}).keys())
used_volumes = set()
for name in ("mosquitto", "meshgate", "homeassistant"):
	if name not in services:
		bad("services: no %r service" % name)

# A "$" Compose would interpolate: "$$" is a literal "$"; "${NAME}" and
# "$NAME" take the variable from the environment of `docker compose`,
# which this file must not rely on.
for lineno, line in enumerate(text.splitlines(), 1):
	code = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
	rest = code.replace("$$", "")
	if "$" in rest:
		bad("line %d: '$' would be interpolated by Compose (write $$ for a literal $)" % lineno)

def check_image(sname, image, built):
	m = REFERENCE.match(image)
	if not m:
		bad("%s.image: %r is not a valid image reference" % (sname, image))
		return
	repo = (m.group("registry") + "/" if m.group("registry") else "") + m.group("path")
	tag = m.group("tag") or "latest"
	if built:
		return  # the name the locally built image is given
	if repo not in KNOWN_IMAGES:
		bad("%s.image: %r is not an image this project documents (known: %s)" %
		    (sname, image, ", ".join(sorted(KNOWN_IMAGES))))
	elif not KNOWN_IMAGES[repo].match(tag):
		bad("%s.image: %r: tag %r is not one its publisher documents" % (sname, image, tag))

def check_volume(sname, v):
	if isinstance(v, dict):
		src, dst, ro = v.get("source"), v.get("target"), v.get("read_only")
		kind = v.get("type")
	else:
		parts = str(v).split(":")
		if len(parts) < 2 or len(parts) > 3:
			bad("%s.volumes: %r: expected source:target[:mode]" % (sname, v))
			return
		src, dst = parts[0], parts[1]
		if len(parts) == 3 and parts[2] not in ("ro", "rw", "z", "Z", "ro,z", "ro,Z"):
			bad("%s.volumes: %r: unknown mode %r" % (sname, v, parts[2]))
		kind = "bind" if src.startswith((".", "/", "~")) else "volume"
	if not dst or not str(dst).startswith("/"):
		bad("%s.volumes: %r: the target must be an absolute path" % (sname, v))
	if kind == "volume":
		used_volumes.add(src)
		if src not in declared_volumes:
			bad("%s.volumes: named volume %r is not declared under volumes:" % (sname, src))
	elif src.startswith("."):
		full = os.path.normpath(os.path.join(base, src))
		if not os.path.exists(full):
			bad("%s.volumes: %r: %s does not exist" % (sname, v, full))
	elif src.startswith("/"):
		# A path of the host the stack runs on (e.g. /etc/localtime): not
		# part of the repository, so only named here.
		print("check-deploy: note: %s mounts the host's %s" % (sname, src))
	else:
		bad("%s.volumes: %r: unsupported source" % (sname, v))

for sname, svc in services.items():
	if not isinstance(svc, dict):
		bad("%s: not a mapping" % sname)
		continue
	for k in svc:
		if k not in SERVICE_KEYS:
			bad("%s: unknown key %r" % (sname, k))
	build = svc.get("build")
	if not build and not svc.get("image"):
		bad("%s: neither image nor build" % sname)
	if build:
		ctx = build if isinstance(build, str) else build.get("context", ".")
		dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
		ctx_path = os.path.normpath(os.path.join(base, ctx))
		if not os.path.isdir(ctx_path):
			bad("%s.build.context: %s is not a directory" % (sname, ctx_path))
		elif not os.path.isfile(os.path.join(ctx_path, dockerfile)):
			bad("%s.build.dockerfile: %s does not exist" % (sname, os.path.join(ctx_path, dockerfile)))
	if svc.get("image"):
		check_image(sname, str(svc["image"]), bool(build))
	restart = svc.get("restart")
	if restart not in RESTART or restart == "no":
		bad("%s.restart: %r; expected always, on-failure or unless-stopped" % (sname, restart))
	hc = svc.get("healthcheck")
	if not isinstance(hc, dict):
		bad("%s: no healthcheck" % sname)
	else:
		for k in hc:
			if k not in HEALTH_KEYS:
				bad("%s.healthcheck: unknown key %r" % (sname, k))
		test = hc.get("test")
		if not (isinstance(test, list) and test and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1):
			bad("%s.healthcheck.test: expected [\"CMD\", ...] or [\"CMD-SHELL\", ...]" % sname)
		for k in ("interval", "timeout", "start_period"):
			if k in hc and not DURATION.match(str(hc[k])):
				bad("%s.healthcheck.%s: %r is not a duration" % (sname, k, hc[k]))
		if "retries" in hc and not (isinstance(hc["retries"], int) and hc["retries"] > 0):
			bad("%s.healthcheck.retries: expected a positive integer" % sname)
	host_net = svc.get("network_mode") == "host"
	ports = svc.get("ports") or []
	if host_net and ports:
		bad("%s: ports are ignored with network_mode: host" % sname)
	for p in ports:
		m = PORT.match(str(p))
		if not m or not 0 < int(m.group("ctr")) < 65536 or (m.group("host") and not 0 < int(m.group("host")) < 65536):
			bad("%s.ports: %r is not [ip:][host:]container[/proto]" % (sname, p))
	for v in svc.get("volumes") or []:
		check_volume(sname, v)
	for d in svc.get("depends_on") or []:
		if d not in services:
			bad("%s.depends_on: no service %r" % (sname, d))
	env = svc.get("environment")
	if env is not None and not isinstance(env, (dict, list)):
		bad("%s.environment: expected a mapping or a list" % sname)
	for d in svc.get("devices") or []:
		if len(str(d).split(":")) not in (1, 2, 3):
			bad("%s.devices: %r" % (sname, d))

for v in declared_volumes - used_volumes:
	bad("volumes: %r is declared but no service uses it" % v)

# What this project needs of the three services.
mg = services.get("meshgate") or {}
if not mg.get("build"):
	bad("meshgate: must be built from the repository (build: context ..)")
if mg.get("network_mode") != "host":
	bad("meshgate: network_mode must be host (the HCI user channel exists only there)")
if not any(str(v).split(":")[1:2] == ["/data"] for v in mg.get("volumes") or []):
	bad("meshgate: /data (the network database) is not on a volume")
ha = services.get("homeassistant") or {}
if ha and "homeassistant" not in (ha.get("profiles") or []):
	bad("homeassistant: must be in the optional profile 'homeassistant'")
mq = services.get("mosquitto") or {}
if not any(PORT.match(str(p)) and PORT.match(str(p)).group("ctr") == "1883" for p in mq.get("ports") or []):
	bad("mosquitto: port 1883 is not published (meshgate's default is mqtt://localhost:1883)")
if not any(str(v).endswith(":/mosquitto/config/mosquitto.conf:ro") for v in mq.get("volumes") or []):
	bad("mosquitto: deploy/mosquitto/mosquitto.conf is not mounted")
# The radios are documented inline (as comments: they depend on the machine).
for needle, what in (("/dev/serial/by-id/", "the nRF52840's /dev/serial/by-id device mapping"),
		     ("NET_ADMIN", "cap_add NET_ADMIN for hci"), ("NET_RAW", "cap_add NET_RAW for hci"),
		     ("devices:", "a devices: example"), ("cap_add:", "a cap_add: example")):
	if needle not in text:
		bad("meshgate: %s is not documented in the file" % what)

for p in problems:
	print("check-deploy: FAIL: %s: %s" % (path, p), file=sys.stderr)
if problems:
	sys.exit(1)
print("check-deploy: ok: %s (%d services, images, builds, ports, volumes, health checks, restart policies, paths)"
      % (path, len(services)))
EOF
fi

# An engine's own parser, where one is installed (not required).
if command -v docker-compose >/dev/null 2>&1; then
	if out=$(cd deploy && docker-compose --profile homeassistant config -q 2>&1); then
		ok "docker-compose config accepts deploy/docker-compose.yml"
	else
		fail "docker-compose config: $out"
	fi
else
	echo "check-deploy: note: no docker-compose here (Debian docker-compose): Compose's own schema check skipped"
fi

# ---- Mosquitto's configuration, in a real Mosquitto -------------------------
conf=deploy/mosquitto/mosquitto.conf
grep -Eq '^set_tcp_nodelay[[:space:]]+true' "$conf" || fail "$conf: no 'set_tcp_nodelay true' (docs/mqtt.md)"
grep -Eq '^listener[[:space:]]+1883$' "$conf" || fail "$conf: no 'listener 1883'"
if command -v mosquitto >/dev/null 2>&1 && command -v mosquitto_sub >/dev/null 2>&1; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	chmod 0777 "$tmp"   # Mosquitto started as root continues as user mosquitto
	# The same file, on a free port of this machine and with the container's
	# data directory replaced by a scratch one.
	sed -e "s#^listener 1883\$#listener $port 127.0.0.1#" \
	    -e "s#^persistence_location .*#persistence_location $tmp/#" "$conf" > "$tmp/mosquitto.conf"
	mosquitto -c "$tmp/mosquitto.conf" > "$tmp/mosquitto.log" 2>&1 &
	broker_pid=$!
	answered=""
	for _ in $(seq 50); do
		# shellcheck disable=SC2016 # a literal topic
		if mosquitto_sub -h 127.0.0.1 -p "$port" -t '$SYS/broker/version' -C 1 -W 2 >/dev/null 2>&1; then
			answered=yes
			break
		fi
		kill -0 "$broker_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -n "$answered" ]; then
		ok "$conf loads in $(mosquitto -h 2>/dev/null | head -n 1 || true) and answers the health check"
	else
		fail "$conf: Mosquitto did not start with it or did not answer: $(tail -n 5 "$tmp/mosquitto.log")"
	fi
	kill "$broker_pid" 2>/dev/null || true
	wait "$broker_pid" 2>/dev/null || true
	broker_pid=""
else
	fail "mosquitto and mosquitto_sub are needed to check $conf (Debian mosquitto, mosquitto-clients)"
fi

# ---- config.example.yaml, read by meshgate ----------------------------------
# meshgate has no "check the file only" option: a one-second run on the
# simulator (the file's own bearer is an HCI adapter), with MQTT, the web
# server and the file's paths out of the way, loads and applies it. Exit
# status 2 is meshgate's "the configuration is wrong".
example=deploy/config/config.example.yaml
# Every key of docs/config.md's tables appears in its section of the
# example (set, or shown in a comment), so the example stays complete when
# an option is added.
python3 - docs/config.md "$example" <<'EOF' || failed=1
import re, sys
doc, example = (open(p, encoding="utf-8").read() for p in sys.argv[1:3])
sections, current = {}, None
for line in example.splitlines():
	m = re.match(r"^([a-z_]+):", line)
	if m:
		current = m.group(1)
		sections[current] = ""
	elif current:
		sections[current] += line + "\n"
missing, section, count = [], None, 0
for line in doc.splitlines():
	m = re.match(r"^### `([a-z_]+)`", line)
	if m:
		section = m.group(1)
		continue
	if line.startswith("## "):
		section = None
	m = re.match(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|", line)
	if not (section and m):
		continue
	for key in filter(None, m.groups()):
		count += 1
		body = sections.get(section)
		if body is None:
			missing.append("section %s" % section)
		elif not re.search(r"(^|[\s{,#])%s:" % key, body, re.M):
			missing.append("%s.%s" % (section, key))
for k in sorted(set(missing)):
	print("check-deploy: FAIL: %s: %s (docs/config.md) is not shown" % (sys.argv[2], k), file=sys.stderr)
if count < 40:
	print("check-deploy: FAIL: read only %d keys from docs/config.md: has its table format changed?" % count,
	      file=sys.stderr)
	sys.exit(1)
if missing:
	sys.exit(1)
print("check-deploy: ok: %s shows all %d keys of docs/config.md" % (sys.argv[2], count))
EOF
if [ ! -x "$meshgate" ]; then
	fail "$meshgate not found: build it first (cmake --build build/release) or name it as the argument"
else
	run_example() {
		# Every ${NAME} of the file set to a harmless value (a static OOB
		# value must be 32 hex digits).
		local envs=() n
		# shellcheck disable=SC2016 # literal ${NAME} patterns
		for n in $(grep -o '\${[A-Za-z_][A-Za-z0-9_]*}' "$1" | tr -d '${}' | sort -u); do
			case $n in
			*OOB*) envs+=("$n=00112233445566778899aabbccddeeff") ;;
			*) envs+=("$n=check-deploy") ;;
			esac
		done
		rm -rf "$tmp/data"
		env "${envs[@]}" timeout 30 "$meshgate" run --config "$1" --bearer simulator --no-mqtt \
			--no-web --data "$tmp/data" --hci-log "$tmp/hci.btsnoop" --exit-after 1 \
			--log-level warn > "$tmp/run.log" 2>&1
	}
	if run_example "$example"; then
		ok "$example loads and runs in $meshgate"
	else
		fail "$example: meshgate refused it (exit $?): $(tail -n 5 "$tmp/run.log")"
	fi
	# ...and the same run does notice a mistake: a misspelt key.
	sed 's/^  server:/  sever:/' "$example" > "$tmp/broken.yaml"
	set +e
	run_example "$tmp/broken.yaml"
	rc=$?
	set -e
	if [ "$rc" -eq 2 ] && grep -q 'mqtt.sever: unknown key' "$tmp/run.log"; then
		ok "a misspelt key in a copy of $example is refused ($(head -n 1 "$tmp/run.log"))"
	else
		fail "a misspelt key in a copy of $example was not refused (exit $rc)"
	fi
fi

# ---- the systemd unit ---------------------------------------------------------
unit=deploy/systemd/meshgate.service
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify checks that ExecStart's program exists: point it at the build.
	bin=$(readlink -f "$meshgate" 2>/dev/null || true)
	[ -x "$bin" ] || bin=/bin/true
	sed "s#/usr/local/bin/meshgate#$bin#" "$unit" > "$tmp/meshgate.service"
	# Unknown keys are only warnings for systemd-analyze: any output fails.
	if out=$(systemd-analyze verify "$tmp/meshgate.service" 2>&1) && [ -z "$out" ]; then
		ok "$unit passes systemd-analyze verify"
	else
		fail "$unit: systemd-analyze verify: ${out//$tmp\//}"
	fi
else
	echo "check-deploy: SKIP: systemd-analyze is not installed and could not be (Debian systemd); $unit not verified" >&2
fi

if [ "$failed" -ne 0 ]; then
	echo "check-deploy: FAILED" >&2
	exit 1
fi
echo "check-deploy: all deployment files check out"
