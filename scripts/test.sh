#!/usr/bin/env bash
# Set up and run every meshgate test: the unit tests built normally and under
# AddressSanitizer + UndefinedBehaviorSanitizer, the command-line tests, a
# short fixed run of every libFuzzer target, smoke runs of the benchmarks,
# the dashboard's browser tests, the unit tests cross-compiled for arm64
# under qemu, and the container image built and run.
#
#   FUZZ_RUNS=N   iterations per fuzz target (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh

jobs=$(nproc)
fuzz_runs=${FUZZ_RUNS:-100000}
passed=0
failed=0

run_ctest() {  # build dir, label
	local log
	log=$(mktemp)
	if ctest --test-dir "$1" --output-on-failure -j "$jobs" | tee "$log"; then :; fi
	local p f
	p=$(grep -c ' Passed ' "$log" || true)
	f=$(grep -cE '\*\*\*(Failed|Exception)|Not Run|Timeout' "$log" || true)
	echo "$2: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
	rm -f "$log"
}

echo "== build (gcc, -Werror)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$jobs"
run_ctest build/release "unit"

echo "== build (gcc, ASan + UBSan)"
cmake -S . -B build/sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMESHGATE_SANITIZE=ON >/dev/null
cmake --build build/sanitize -j "$jobs"
# Paho loses its own copies of in-flight publishes when a client is destroyed
# (tests/lsan.supp); its frames only show with the slow unwinder.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
	run_ctest build/sanitize "unit+sanitizers"

echo "== fuzz (clang-14 libFuzzer, $fuzz_runs runs each)"
CC=clang-14 cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMESHGATE_FUZZ=ON >/dev/null
cmake --build build/fuzz -j "$jobs"
for fuzzer in build/fuzz/fuzz_*; do
	[ -x "$fuzzer" ] || continue
	name=$(basename "$fuzzer")
	corpus=build/fuzz/corpus-$name
	mkdir -p "$corpus"
	seeds=tests/fuzz/seeds/$name
	# Network database files are larger than radio PDUs.
	case $name in fuzz_cdb|fuzz_runtime_state|fuzz_liveness|fuzz_gateway_config) max_len=8192 ;; *) max_len=512 ;; esac
	# Targets that run a whole gateway per input are ~100 times slower per
	# run: a tenth of the runs keeps CI's time in bounds.
	runs=$fuzz_runs
	case $name in fuzz_jsonrpc) runs=$((fuzz_runs / 10)) ;; esac
	if "$fuzzer" -runs="$runs" -seed=1 -max_len="$max_len" "$corpus" \
		$( [ -d "$seeds" ] && echo "$seeds" ) >"build/fuzz/$name.log" 2>&1; then
		echo "fuzz $name: ok ($(grep -o 'cov: [0-9]*' "build/fuzz/$name.log" | tail -1))"
		passed=$((passed + 1))
	else
		echo "fuzz $name: FAILED"; tail -40 "build/fuzz/$name.log"
		failed=$((failed + 1))
	fi
done

# One check: run the command, count it, say how it went.
check() {  # name, what to look at when it fails (or ""), command...
	local name=$1 hint=$2
	shift 2
	if "$@"; then
		passed=$((passed + 1)); echo "$name: ok"
	else
		failed=$((failed + 1)); echo "$name: FAILED${hint:+ ($hint)}"
	fi
}

quiet() { "$@" >/dev/null; }

echo "== benchmark smoke run"
check bench_rx "" quiet build/release/bench_rx --quick
# A real Mosquitto, the gateway on the simulator and bare Paho clients:
# fails if a path is broken (no HCI command, no state, nodes not configured).
check bench_mqtt "" quiet build/release/bench_mqtt --quick

echo "== browser tests (Chromium + playwright-core against meshgate on meshsim)"
check "dashboard e2e" "screenshots and logs in build/release/e2e-artifacts" \
	scripts/e2e.sh build/release

echo "== deployment files (compose, Mosquitto, systemd, example configuration)"
check deploy "" scripts/check-deploy.sh build/release/meshgate

echo "== arm64: cross-compiled, unit tests under qemu-aarch64"
check arm64 "" scripts/arm64.sh build/arm64

echo "== container image (Podman via ../shared/tools/container-env.sh)"
as_root=()
[ "$(id -u)" -ne 0 ] && as_root=(sudo -E)
check container "" "${as_root[@]}" scripts/container-test.sh

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
