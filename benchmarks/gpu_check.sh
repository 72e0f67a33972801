#!/usr/bin/env bash
# The GPU check of issue 21 as one bounded command (see benchmarks/gpu_check.py).
#
#   bash benchmarks/gpu_check.sh --out "$OUT"    # on a CUDA machine: under 8 minutes
#   bash benchmarks/gpu_check.sh --dry-run       # CPU-sized, the same sequence
#
# GPU_CHECK_BUDGET (seconds, default 470 on a device, 420 for --dry-run) bounds the whole
# command: the Python driver gets 15 s less so it can write the figures before `timeout`
# would kill it. PYTHON picks the interpreter (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
default=470
for arg in "$@"; do
  [ "$arg" = "--dry-run" ] && default=420
done
BUDGET="${GPU_CHECK_BUDGET:-$default}"
exec timeout -k 10 "$BUDGET" "$PY" benchmarks/gpu_check.py run --budget "$((BUDGET - 15))" "$@"
