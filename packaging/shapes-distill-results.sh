#!/usr/bin/env bash
# Issue 8's comparison on the embedded shapes model (docs/results.md): the shipped LinVideo model
# distilled with DMD2 to a 4-step student, against the same LinVideo model sampled naively with 4
# steps and against the teacher; each scored with `linvideo eval` on the held-out prompts.
# Usage: [STEPS=400 SEEDS=4 DEVICE=cpu OUT=results/shapes-distill TEACHER=1 LR_GEN=2e-5 LR_CRITIC=2e-5]
#        packaging/shapes-distill-results.sh
# Resumable: an interrupted distillation resumes, and finished reports are skipped on a second run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
L="${LINVIDEO:-$root/build/app/linvideo}"
out="${OUT:-$root/results/shapes-distill}"
STEPS="${STEPS:-400}" SEEDS="${SEEDS:-4}" DEVICE="${DEVICE:-cpu}"
PROMPTS="${PROMPTS:-$root/resources/shapes/eval_heldout_8.txt}"
sidecar="$root/resources/models/shapes/shapes.linvideo.safetensors"
mkdir -p "$out"
# 1. The data-free prompt set: the contexts of 24 training prompts (none held out), as in issue 5.
awk 'NR%16==3' "$root/resources/prompts/shapes.txt" | head -24 > "$out/train_prompts.txt"
$L cache --prompts "$out/train_prompts.txt" --out "$out/cache" --device "$DEVICE"
evaluate() {  # evaluate NAME [ARGS...]: one report per variant, skipped when present
  local name="$1"; shift
  [ -f "$out/$name.json" ] || $L eval --prompts "$PROMPTS" --seeds "$SEEDS" --device "$DEVICE" "$@" \
      --out "$out/$name.json" > "$out/$name.txt" 2>&1
}
# 2. DMD2: 4-step student, 5 critic updates per generator step.
run="$out/dmd-$STEPS"
if [ ! -f "$run/student.safetensors" ]; then
  resume=()
  [ -f "$run/progress.json" ] && resume=(--resume)
  $L distill --linvideo "$sidecar" --steps "$STEPS" --run "$run" --cache "$out/cache" --device "$DEVICE" \
      --lr-gen "${LR_GEN:-2e-5}" --lr-critic "${LR_CRITIC:-2e-5}" "${resume[@]}" 2>&1 | tr '\r' '\n' | grep -v '^\[' > "$run.log" || true
fi
[ "${TEACHER:-1}" = 1 ] && evaluate teacher
evaluate naive4 --steps 4 --linvideo "$sidecar"
evaluate "dmd-$STEPS" --linvideo "$run/student.safetensors"
for v in teacher naive4 "dmd-$STEPS"; do
  [ -f "$out/$v.txt" ] && printf '%-10s %s\n' "$v" "$(grep '^total:' "$out/$v.txt")"
done
