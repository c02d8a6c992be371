#!/usr/bin/env bash
# Runs every test: set-up, build, the C++ suites (ctest) and the Python suites (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Style gates (fast): C++ formatting and Python lint.
clang-format --dry-run --Werror src/*/*.h src/*/*.cc bindings/*.h bindings/*.cc \
  tests/cpp/*/*.h tests/cpp/*/*.cc bench/cpp/*.cc
${PYTHON:-python3} -m ruff check python tests/python bench
bash scripts/build.sh
PYTHON=${PYTHON:-python3}
BUILD_DIR=${BUILD_DIR:-build/ci}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)"
# The plugin host against good and malformed plugins under AddressSanitizer/UBSan (its own
# build directory; CA_SKIP_ASAN=1 skips it for quick local runs).
if [ "${CA_SKIP_ASAN:-0}" != "1" ]; then
  bash scripts/asan.sh
fi
# Run from outside the source tree so that the installed package is the one imported.
cd tests/python
$PYTHON -m pytest -q -p no:cacheprovider "$@" .
