#!/usr/bin/env bash
# Issue 5's comparison on the embedded shapes teacher (docs/results.md): LinVideo with ADM against
# the MSE objective, k random layers (3 draws) trained the same way, and the transfer-initialised
# layers with no training; each variant scored with `linvideo eval` on held-out prompts.
# Usage: [K=4 STEPS=150 SEEDS=4 DEVICE=cpu OUT=results/ VARIANTS=0|1] packaging/shapes-linvideo-results.sh
# Every step resumes: a finished run or report is skipped when the script is run again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
L="${LINVIDEO:-$root/build/app/linvideo}"
out="${OUT:-$root/results/shapes-linvideo}"
K="${K:-4}" STEPS="${STEPS:-150}" SEEDS="${SEEDS:-4}" DEVICE="${DEVICE:-cpu}"
PROMPTS="${PROMPTS:-$root/resources/shapes/eval_heldout_8.txt}"
mkdir -p "$out"
common=(--device "$DEVICE" --warmup 100 --lr 1e-3 --lr-r 1e-2 --lambda 0.01 --cache "$out/cache")
# 1. The data-free training set: 24 training prompts (none held out), one seed, default sampler.
awk 'NR%16==3' "$root/resources/prompts/shapes.txt" | head -24 > "$out/train_prompts.txt"
$L cache --prompts "$out/train_prompts.txt" --out "$out/cache" --device "$DEVICE"
evaluate() {  # evaluate NAME [ARGS...]: one report per variant, skipped when present
  local name="$1"; shift
  [ -f "$out/$name.json" ] || $L eval --prompts "$PROMPTS" --seeds "$SEEDS" --device "$DEVICE" "$@" \
      --out "$out/$name.json" > "$out/$name.txt" 2>&1
}
run() {  # run NAME STEPS ARGS...: train once (an interrupted run resumes), then evaluate
  local name="$1" steps="$2"; shift 2
  if [ ! -f "$out/$name/linvideo.safetensors" ]; then
    local resume=()
    [ -f "$out/$name/progress.json" ] && resume=(--resume)
    $L transfer --run "$out/$name" --steps "$steps" "${common[@]}" "${resume[@]}" "$@" 2>&1 |
      tr '\r' '\n' | grep -v '^\[' > "$out/$name.log" || true
  fi
  evaluate "$name" --sidecar "$out/$name/linvideo.safetensors"
}
evaluate teacher --teacher
run adm "$STEPS" --target "$K" --objective adm
run mse "$STEPS" --target "$K" --objective mse
chosen="$(grep -o 'linear layers (from 1): [0-9,]*' "$out/adm.log" | tail -1 | cut -d' ' -f5)"
run untrained 0 --layers "$chosen" --objective adm
i=0
for layers in 2,3,5,6 2,5,6,8 5,6,7,8; do  # three draws of 4 of 8 (Python random.Random(2026).sample)
  i=$((i + 1))
  run "random$i" "$STEPS" --layers "$layers" --objective adm
done
variants=()
if [ "${VARIANTS:-0}" = 1 ]; then  # docs/results.md, session of 2026-12-01: longer training
  run adm-phase2 300 --layers "$chosen" --objective adm --init-sidecar "$out/adm/linvideo.safetensors"
  run adm-600 600 --target "$K" --objective adm
  variants=(adm-phase2 adm-600)
fi
for v in teacher adm mse untrained random1 random2 random3 "${variants[@]}"; do
  printf '%-10s %s\n' "$v" "$(grep '^total:' "$out/$v.txt")"
done
