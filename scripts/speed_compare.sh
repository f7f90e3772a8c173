#!/usr/bin/env bash
# Speed of the inner loop, this tree against another build, measured in one run.
#
#   scripts/speed_compare.sh BEFORE_BINARY AFTER_BINARY [REPEATS] > docs/speed.jsonl
#
# Build BEFORE from the previous main in a second worktree:
#   git worktree add /tmp/prev <commit> && (cd /tmp/prev && cargo build --release -p caputo-cli)
# Runs alternate (before, after, before, …) so that load from other processes hits both; each
# line is one `caputo bench` record with "build": "before"|"after" and "repeat" added. The
# workloads are issue 16's targets (release, one thread unless stated, f32, T = 10).
# AFTER_FLAGS (e.g. --breakdown) go to the after build only (the before build may lack them).
set -euo pipefail
BEFORE=$1
AFTER=$2
REPEATS=${3:-3}
cases=(
  "lv-mlp ode rk4 N=3200|--workload lv-mlp --alpha 1 --scheme rk4 --method symplectic-adjoint --steps 3200 --threads 1"
  "lv-mlp fde predictor N=3200|--workload lv-mlp --alpha 0.6 --scheme predictor --method discrete-adjoint --steps 3200 --threads 1"
  "wide ode rk4 N=400|--workload wide --alpha 1 --scheme rk4 --method symplectic-adjoint --steps 400 --threads 1"
  "wide ode rk4 N=400 2 threads|--workload wide --alpha 1 --scheme rk4 --method symplectic-adjoint --steps 400 --threads 2"
  "wide fde predictor N=1600|--workload wide --alpha 0.6 --scheme predictor --method discrete-adjoint --steps 1600 --threads 1 --reference-max-steps 0"
)
for rep in $(seq 1 "$REPEATS"); do
  for c in "${cases[@]}"; do
    name=${c%%|*}
    flags=${c#*|}
    for build in before after; do
      bin=$BEFORE
      extra=""
      if [ "$build" = after ]; then bin=$AFTER; extra=${AFTER_FLAGS:-}; fi
      # shellcheck disable=SC2086
      line=$("$bin" bench $flags --dtype f32 $extra | head -1)
      echo "${line%\}},\"case\":\"$name\",\"build\":\"$build\",\"repeat\":$rep}"
    done
  done
done
