#!/usr/bin/env bash
# The main job: set up, build, and run codeanatomy's demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd /tmp && codeanatomy demo "$@"
