#!/usr/bin/env bash
# Builds and installs the codeanatomy package (and the C++ tests) into the current Python,
# reusing build/ci between runs so that rebuilds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
BUILD_DIR=${BUILD_DIR:-build/ci}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
$PYTHON -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps \
  -C build-dir="$BUILD_DIR" \
  -C cmake.define.CODEANATOMY_BUILD_TESTS=ON \
  .
