#!/usr/bin/env bash
# The full grids of docs/results.md (peak LRs x warmups x 3 seeds), one torch thread per run, so that two grids can
# run side by side on 2 cores. Resumable: rerun the same command after a kill, or after adding a grid value (only the
# new runs are done).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-docs/results}
which=${1:-lm}
case "$which" in
  lm)
    python -m rampup.studies study postln-lm --lrs 1e-3,3e-3,6e-3,1e-2,3e-2 --warmups "none,linear(20),linear(50),linear(100)" \
      --seeds 0,1,2 --updates 200 --out "$OUT" --no-progress ;;
  lm-preln)
    python -m rampup.studies study preln-lm --lrs 1e-3,3e-3,1e-2,3e-2 --warmups "none,linear(100)" \
      --seeds 0,1,2 --updates 200 --out "$OUT" --no-progress ;;
  digits)
    python -m rampup.studies study digits-largebatch --lrs 0.0125,0.025,0.05,0.1 \
      --warmups "none,linear(10),linear(25),linear(50)" --seeds 0,1,2 --updates 150 --out "$OUT" --no-progress ;;
  digits-small)
    # the control: batch 32 for the same epochs (4800 updates) and the same warmups counted in epochs (x 32)
    python -m rampup.studies study digits-smallbatch --lrs 0.0125,0.025,0.05,0.1 \
      --warmups "none,linear(320),linear(800),linear(1600)" --seeds 0,1,2 --updates 4800 --out "$OUT" --no-progress ;;
  decay)
    # the recipe people train with: the warmup, then cosine decay to 10% of the peak, 2000 updates
    python -m rampup.studies study postln-lm --lrs 1e-3,3e-3,1e-2,3e-2 \
      --warmups "constant(0) >> cosine(to=0.1),linear(5%) >> cosine(to=0.1),linear(20%) >> cosine(to=0.1)" \
      --seeds 0,1,2 --updates 2000 --out "$OUT/decay" --no-progress
    # auto_warmup in the same recipe, its probe's passes charged
    python benchmarks/auto/out_of_sample.py run-lm --task postln-lm --lrs 1e-3,3e-3,1e-2,3e-2 --seeds 0,1,2 \
      --workers 1 --out "$OUT/decay/auto.jsonl" ;;
  decay-preln)
    # the same recipe on the Pre-LN LM, on the factor-2 grid around its no-warmup edge (docs/auto.md's protocol);
    # (with the two points below it added once the no-warmup runs were seen), seeds 3 and 4 at the best fixed LR
    python -m rampup.studies study preln-lm --lrs 3.75e-3,7.5e-3,1.5e-2,3e-2,6e-2,1.2e-1,2.4e-1,4.8e-1 \
      --warmups "constant(0) >> cosine(to=0.1),linear(5%) >> cosine(to=0.1),linear(20%) >> cosine(to=0.1)" \
      --seeds 0,1,2 --updates 2000 --out "$OUT/decay" --no-progress
    python -m rampup.studies study preln-lm --lrs 7.5e-3 \
      --warmups "constant(0) >> cosine(to=0.1),linear(5%) >> cosine(to=0.1),linear(20%) >> cosine(to=0.1)" \
      --seeds 3,4 --updates 2000 --out "$OUT/decay" --no-progress
    python benchmarks/auto/out_of_sample.py run-lm --task preln-lm --seeds 0,1,2 --workers 1 --out "$OUT/decay/auto.jsonl"
    python benchmarks/auto/out_of_sample.py run-lm --task preln-lm --lrs 7.5e-3 --seeds 3,4 --workers 1 \
      --out "$OUT/decay/auto.jsonl" ;;
  *) echo "usage: $0 lm|lm-preln|digits|digits-small|decay|decay-preln" >&2; exit 2 ;;
esac
