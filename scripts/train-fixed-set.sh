#!/usr/bin/env bash
# Issue 11's acceptance run: the -tiny presets trained on fixed sets of 2,000 images with the plain
# command and a 20-minute budget, scored on 300 held-out images. Two sets: the synthetic shapes
# (seed 7, as docs/training.md) and a second one with another seed, four classes and heavy clutter
# (striped backgrounds, small dots, more thin lines). Run it alone on the machine (each run is timed
# by the wall clock: other work slows it and it then does fewer steps).
#
#   bash scripts/train-fixed-set.sh [WORK_DIR]      # default /tmp/anchorless-fixed-set; ~85 minutes
#
# Prints each run's best validation (the exported model's) and writes WORK_DIR/summary.txt;
# each run folder holds metrics.jsonl, metrics.svg, best.safetensors and model.safetensors.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/anchorless-fixed-set}
cli=(node --import tsx runtime/cli.ts)
mkdir -p "$work"
[ -f "$work/shapes/train/annotations.json" ] || "${cli[@]}" synth --out "$work/shapes" --train 2000 --val 300 --size 128 --seed 7
[ -f "$work/cluttered/train/annotations.json" ] || "${cli[@]}" synth --out "$work/cluttered" --train 2000 --val 300 --size 128 --seed 13 --clutter heavy --classes circle,square,triangle,star
: > "$work/summary.txt"
for set in shapes cluttered; do
  for arch in centernet-tiny cornernet-tiny; do
    out="$work/run-$set-$arch"
    rm -rf "$out"
    start=$(date +%s)
    "${cli[@]}" train --data "$work/$set/train" --val "$work/$set/val" --arch "$arch" --out "$out" --time-budget 20m 2>&1 | grep -v '^epoch\|^validation \[' | tee "$out.log"
    best=$(node -e 'const m=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(l=>l.type==="val");const b=m.reduce((p,q)=>q.AP>p.AP?q:p);console.log(`step ${b.step}: AP ${b.AP} AP50 ${b.AP50} AP75 ${b.AP75}`)' "$out/metrics.jsonl")
    echo "$set $arch: $(( $(date +%s) - start )) s, best $best" | tee -a "$work/summary.txt"
  done
done
cat "$work/summary.txt"
