#!/usr/bin/env bash
# Regenerates docs/results.md (and its plots under docs/img/) from measurements on this machine:
# the gradient-method benchmark (time and counting-allocator peak memory vs N), fast vs dense
# history, and the three applications' headline results.
# Usage: [PROFILE=dev] scripts/report.sh [--quick]
# Needs: cargo, python3 (standard library only).
# Every bench record carries grad_rel_err_vs_direct (the gradient against direct backprop at the
# same N, up to N = 4000; see `caputo bench --help`); report.py also writes the measured method
# table into docs/choosing.md between its marker comments.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=${1:-}
# PROFILE=dev uses the dev profile (dependencies at opt-level 3, caputo at opt-level 1),
# which shares the test build; the default is a release build.
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = "dev" ]; then cargo build -p caputo-cli; B=target/debug/caputo
else cargo build --release -p caputo-cli; B=target/release/caputo; fi
export CAPUTO_REPORT_PROFILE=$PROFILE
OUT=target/report
mkdir -p "$OUT" docs/img
: > "$OUT/bench.jsonl"
if [ "$QUICK" = "--quick" ]; then NS=100,400,1600; else NS=100,200,400,800,1600,3200; fi
# ODE gradient methods (rk4, lv-mlp, f32, one thread).
$B bench --workload lv-mlp --alpha 1 --scheme rk4 --method direct,checkpointed,symplectic-adjoint,continuous-adjoint \
  --steps "$NS" --sweep --threads 1 --dtype f32 >> "$OUT/bench.jsonl"
# FDE gradient methods (predictor, α = 0.6).
$B bench --workload lv-mlp --alpha 0.6 --scheme predictor --method direct,discrete-adjoint,paper-adjoint,continuous-adjoint \
  --steps "$NS" --sweep --threads 1 --dtype f32 >> "$OUT/bench.jsonl"
# Gradient error in f64 at one N: f32 round-off (~1e-6) hides how close the approximate methods
# come; in f64 the exact methods agree with direct to ~1e-15. Kept apart from the f32 timings.
: > "$OUT/bench_f64.jsonl"
$B bench --workload lv-mlp --alpha 1 --scheme rk4 --method direct,checkpointed,symplectic-adjoint,continuous-adjoint \
  --steps 400 --sweep --threads 1 --dtype f64 >> "$OUT/bench_f64.jsonl"
$B bench --workload lv-mlp --alpha 0.6 --scheme predictor --method direct,discrete-adjoint,paper-adjoint,continuous-adjoint \
  --steps 400 --sweep --threads 1 --dtype f64 >> "$OUT/bench_f64.jsonl"
# No direct reference here: direct backprop on a 128 × 64 batch through 1600 dense-history steps
# needs gigabytes.
$B bench --workload wide --alpha 0.6 --scheme predictor --method discrete-adjoint --steps 1600 --threads 1 --dtype f32 \
  --reference-max-steps 0 >> "$OUT/bench.jsonl"
# Fast vs dense history, side by side in one run per workload, in f64 (the fast-vs-dense state
# difference is ~tol, below f32 round-off); each run ends with the fitted time exponents.
# checkpointed + fast history = snapshots of the compressed state (segments: `auto`).
: > "$OUT/bench_fast_lv.jsonl"; : > "$OUT/bench_fast_wide.jsonl"; : > "$OUT/bench_fast_decay.jsonl"
# decay: a free field on a 128 × 64 state, so the history sum is the whole cost.
# Forward only: dense history's gradient at N = 10⁴ on this state takes ~15 minutes.
$B bench --workload decay --alpha 0.6 --scheme predictor --forward-only --steps 1000,3000,10000 \
  --history dense,fast --tol 1e-10 --sweep --threads 1 --dtype f64 >> "$OUT/bench_fast_decay.jsonl"
$B bench --workload lv-mlp --alpha 0.6 --scheme predictor --method discrete-adjoint --steps 1000,3000,10000 \
  --history dense,fast --tol 1e-10 --sweep --threads 1 --dtype f64 --reference-max-steps 0 >> "$OUT/bench_fast_lv.jsonl"
$B bench --workload lv-mlp --alpha 0.6 --scheme predictor --method discrete-adjoint,checkpointed --steps 1000,10000,100000 \
  --history fast --tol 1e-10 --sweep --threads 1 --dtype f64 --reference-max-steps 0 >> "$OUT/bench_fast_lv.jsonl"
$B bench --workload wide --alpha 0.6 --scheme predictor --method discrete-adjoint --steps 300,1000,3000 \
  --history dense,fast --tol 1e-10 --sweep --threads 1 --dtype f64 --reference-max-steps 0 >> "$OUT/bench_fast_wide.jsonl"
if [ "$QUICK" != "--quick" ]; then
  $B bench --workload wide --alpha 0.6 --scheme predictor --method discrete-adjoint,checkpointed --steps 1000,3000,10000 \
    --history fast --tol 1e-10 --sweep --threads 1 --dtype f64 --reference-max-steps 0 \
    --dense-reference-max-steps 3000 >> "$OUT/bench_fast_wide.jsonl"
fi
# Applications.
$B lotka-volterra --compare --quiet --out "$OUT/lotka-volterra"
$B graph --compare --quiet --out "$OUT/graph" || echo "graph comparison failed" >&2
$B image --compare --quiet --out "$OUT/image" || echo "image comparison failed" >&2
# Training-step memory at the issue's reference shape (20 FDE steps, batch 64): one short epoch.
$B image --compare --steps 20 --batch 64 --epochs 1 --train-size 640 --test-size 200 --quiet \
  --out "$OUT/image_memory" || echo "image memory comparison failed" >&2
# Plots: memory and time vs N per method (log-log), fast vs dense history.
$B plot-bench --input "$OUT/bench.jsonl" --out docs/img
# fast_vs_dense*.png from the lv-mlp fast-vs-dense runs (the other plots of that call are dropped).
$B plot-bench --input "$OUT/bench_fast_lv.jsonl" --out "$OUT/img_fast"
cp "$OUT/img_fast/fast_vs_dense.png" "$OUT/img_fast/fast_vs_dense_memory.png" docs/img/
# The applications' training curves, under names that say which run they come from.
copy_plot() { if [ -f "$1" ]; then cp "$1" "docs/img/$2"; else echo "missing $1" >&2; fi; }
copy_plot "$OUT/lotka-volterra/comparison_loss.png" lotka_volterra_loss_by_method.png
copy_plot "$OUT/graph/comparison_accuracy.png" graph_val_accuracy_by_method.png
copy_plot "$OUT/image/comparison_accuracy.png" image_test_accuracy_by_method.png
export CAPUTO_REPORT_THREADS=1
python3 scripts/report.py "$OUT" docs/choosing.md > docs/results.md.tmp
mv docs/results.md.tmp docs/results.md
echo "wrote docs/results.md, docs/img/ and the measured table in docs/choosing.md"
