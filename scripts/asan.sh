#!/usr/bin/env bash
# Builds the plugin-host tests (and the test plugins and first-party plugin they load) with
# AddressSanitizer and UndefinedBehaviorSanitizer in build/asan, and runs them. The Arrow
# libraries of the pyarrow wheel are not instrumented; everything of ours is.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
BUILD_DIR=${ASAN_BUILD_DIR:-build/asan}
# -Wno-maybe-uninitialized: at -O1 with the sanitizers' instrumentation g++ 12 reports
# std::regex's and std::variant's members as maybe-uninitialized (false positives the regular
# -O2 build does not show); every other warning stays on.
SAN="-O1 -g1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
SAN="$SAN -Wno-maybe-uninitialized"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCODEANATOMY_BUILD_TESTS=ON -DCODEANATOMY_BUILD_PYTHON=OFF \
  -DPython_EXECUTABLE="$(command -v "$PYTHON")" \
  -DCMAKE_C_FLAGS="$SAN" -DCMAKE_CXX_FLAGS="$SAN" \
  -DCMAKE_C_FLAGS_RELEASE=-DNDEBUG -DCMAKE_CXX_FLAGS_RELEASE=-DNDEBUG \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined" > /dev/null
cmake --build "$BUILD_DIR" --target plugin_host_tests
# Leaks: the engine keeps its memory pools for the process's life on purpose
# (engine/session_state.h), so leak checking is off; every other error fails the run.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$BUILD_DIR/plugin_host_tests"
