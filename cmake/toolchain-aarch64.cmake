# Cross-compiling meshgate for 64-bit Arm Linux (aarch64) with Debian's
# gcc-aarch64-linux-gnu against a sysroot unpacked from Debian's arm64
# packages (scripts/arm64.sh makes it). The sysroot holds glibc and every
# library the build links, in Debian's multiarch layout, so headers,
# libraries, pkg-config files and Paho's CMake package all come from it and
# never from the host.
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake \
#         -DMESHGATE_ARM64_SYSROOT=/abs/path/to/sysroot ...
#
# Tests (ctest) run the arm64 programs under qemu-user: the emulator's -L
# makes the programs' loader and libraries come from the sysroot too.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# The toolchain file is read again for every try_compile, where only what
# is forwarded survives: keep the sysroot's path in the environment too.
if(NOT MESHGATE_ARM64_SYSROOT)
  if(DEFINED ENV{MESHGATE_ARM64_SYSROOT})
    set(MESHGATE_ARM64_SYSROOT "$ENV{MESHGATE_ARM64_SYSROOT}")
  else()
    get_filename_component(MESHGATE_ARM64_SYSROOT
      "${CMAKE_CURRENT_LIST_DIR}/../build/arm64-sysroot/root" ABSOLUTE)
  endif()
endif()
set(ENV{MESHGATE_ARM64_SYSROOT} "${MESHGATE_ARM64_SYSROOT}")
if(NOT EXISTS "${MESHGATE_ARM64_SYSROOT}/usr/include/stdio.h")
  message(FATAL_ERROR "no arm64 sysroot at ${MESHGATE_ARM64_SYSROOT} (scripts/arm64.sh makes one)")
endif()

set(CMAKE_SYSROOT "${MESHGATE_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${MESHGATE_ARM64_SYSROOT}")
# Programs (pkg-config, the emulator) are the host's; everything linked or
# included is the target's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads only the sysroot's .pc files and prefixes their paths.
set(ENV{PKG_CONFIG_LIBDIR}
    "${MESHGATE_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${MESHGATE_ARM64_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${MESHGATE_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_PATH} "")

set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L "${MESHGATE_ARM64_SYSROOT}")
