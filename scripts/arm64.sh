#!/usr/bin/env bash
# Cross-compile meshgate for arm64 (aarch64) and run its unit tests under
# qemu-user, on an amd64 Debian bookworm.
#
#   scripts/arm64.sh [BUILD_DIR]        (default build/arm64)
#
# The arm64 -dev packages cannot all be installed next to the amd64 ones, so
# the libraries come from a sysroot unpacked from Debian's arm64 packages
# (docs/arm64.md). apt resolves and downloads them with a private state of
# its own (arm64 only, nothing installed): the host's dpkg gets no foreign
# architecture and needs no root for it. Everything is cached under
# build/arm64-sysroot and a second run downloads nothing.
#
#   ARM64_SYSROOT_DIR=DIR   where the sysroot and its cache live
#                           (default build/arm64-sysroot)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

build=$(realpath -m "${1:-build/arm64}")
cache=$(realpath -m "${ARM64_SYSROOT_DIR:-build/arm64-sysroot}")
sysroot=$cache/root
jobs=$(nproc)

# ---- host tools --------------------------------------------------------------
host_packages=(
	gcc-aarch64-linux-gnu         # the cross compiler and binutils
	qemu-user                     # qemu-aarch64 runs the tests
	dpkg-dev                      # dpkg -x
	cmake ninja-build pkg-config
	mosquitto                     # the (host's) broker the MQTT tests start
)
scripts/deps.sh "${host_packages[@]}"

# ---- the arm64 sysroot -------------------------------------------------------
# What the build links (and, through apt's dependencies, what those link):
# the C library's development files and every -dev package CMakeLists.txt
# asks pkg-config or find_package for.
target_packages=(
	libc6-dev
	libssl-dev libjansson-dev libuv1-dev libyaml-dev
	libpaho-mqtt-dev
	libwebsockets-dev libwebsockets-evlib-uv
	libcmocka-dev
)
stamp=$sysroot/.meshgate-packages
if [ "$(cat "$stamp" 2>/dev/null)" != "${target_packages[*]}" ]; then
	echo "arm64: making the sysroot in $sysroot"
	apt_dir=$cache/apt
	mkdir -p "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial" "$cache/debs/partial"
	: >"$apt_dir/status"        # nothing installed: apt fetches every dependency
	apt_arm64=(
		-o APT::Architecture=arm64 -o APT::Architectures::=arm64
		-o Dir::State="$apt_dir/state" -o Dir::State::status="$apt_dir/status"
		-o Dir::Cache="$apt_dir/cache" -o Dir::Cache::archives="$cache/debs"
		-o APT::Install-Recommends=false -o APT::Sandbox::User=root
		-o Debug::NoLocking=true
	)
	apt-get "${apt_arm64[@]}" update -qq
	apt-get "${apt_arm64[@]}" install -y -qq --download-only "${target_packages[@]}"

	rm -rf "$sysroot"
	mkdir -p "$sysroot"
	for deb in "$cache"/debs/*.deb; do
		dpkg -x "$deb" "$sysroot"
	done
	# Symbolic links that point to an absolute path mean the host's file
	# (/lib/... on an amd64 machine): point them inside the sysroot.
	find "$sysroot" -type l -lname '/*' -print0 |
	while IFS= read -r -d '' link; do
		ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$sysroot$(readlink "$link")")" "$link"
	done
	echo "${target_packages[*]}" >"$stamp"
fi

# ---- build -------------------------------------------------------------------
echo "== arm64: build (aarch64-linux-gnu-gcc, -Werror) in $build"
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_TOOLCHAIN_FILE="$top/cmake/toolchain-aarch64.cmake" \
	-DMESHGATE_ARM64_SYSROOT="$sysroot" >/dev/null
cmake --build "$build" -j "$jobs"

# ---- unit tests under qemu-aarch64 -------------------------------------------
# ctest runs every test through CMAKE_CROSSCOMPILING_EMULATOR (qemu-aarch64
# -L sysroot, from the toolchain file); QEMU_LD_PREFIX does the same for a
# program a test starts through qemu itself.
excluded=()
if [ ! -x "$build/emulated/meshgate" ]; then
	# Without CMake's emulator scripts (build/*/emulated/, made when
	# CMAKE_CROSSCOMPILING_EMULATOR is set) these tests start arm64 programs
	# directly (test_cli_*: meshgate and meshsim; test_mqtt_conn: itself,
	# through /proc/self/exe), which the kernel of an amd64 host without a
	# qemu binfmt_misc registration refuses (Exec format error).
	excluded+=(test_cli_meshgate_mqtt test_cli_meshsim test_cli_pdu test_cli_provision
		test_cli_run test_mqtt_conn)
fi
ctest_args=(--test-dir "$build" --output-on-failure -j "$jobs")
if [ ${#excluded[@]} -gt 0 ]; then
	ctest_args+=(-E "^($(IFS='|'; echo "${excluded[*]}"))\$")
	echo "== arm64: unit tests under qemu-aarch64 (not run: ${excluded[*]})"
else
	echo "== arm64: unit tests under qemu-aarch64"
fi
QEMU_LD_PREFIX=$sysroot ctest "${ctest_args[@]}"
