#!/usr/bin/env bash
# Installs everything codeanatomy needs on a fresh Debian 12 machine: system packages from
# Debian, Python packages from PyPI. Safe to run again; it skips what is already there.
set -euo pipefail

APT_PACKAGES=(build-essential ccache libpg-query-dev libsimdjson-dev libb2-dev libfmt-dev
              libroaring-dev libgtest-dev libbenchmark-dev zstd clang-format strace)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
# Build requirements (we build without isolation so one build directory serves the Python
# module and the C++ tests), the peers the tests and benchmarks compare against, and the
# TPC-H data generator bench/tpch.py uses.
$PYTHON -m pip install -q --disable-pip-version-check \
  "scikit-build-core>=0.10" "nanobind>=2.4,<4" "pyarrow==26.*" cmake ninja \
  pytest hypothesis duckdb polars datafusion deltalake ruff tpchgen-cli
