#!/usr/bin/env bash
# Issue 8's comparison on the embedded shapes model (docs/results.md): the shipped LinVideo model
# distilled with DMD2 to a 4-step student, against the same LinVideo model sampled naively with 4
# steps and against the teacher; each scored with `linvideo eval` on the held-out prompts.
# Usage: [STEPS=1000 SEEDS=4 DEVICE=cpu EVAL_DEVICE=$DEVICE OUT=results/shapes-distill TEACHER=1
#         TWO_OBJECT=12 LR_GEN=2e-5 LR_CRITIC=2e-5 DISTILL_ARGS="..." EVAL=1 NAME=dmd-$STEPS]
#        packaging/shapes-distill-results.sh
# The data-free prompt set: 24 one-object training prompts plus TWO_OBJECT two-object training
# prompts (the first of resources/shapes/train_two_object_sample.txt; none held out). TWO_OBJECT=0 gives the first runs' set, the 24 prompts
# of the issue-5 trajectory cache. EVAL=0 only distills (e.g. on the GPU machine; evaluate here).
# Resumable: an interrupted distillation resumes, and finished reports are skipped on a second run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
L="${LINVIDEO:-$root/build/app/linvideo}"
out="${OUT:-$root/results/shapes-distill}"
STEPS="${STEPS:-1000}" SEEDS="${SEEDS:-4}" DEVICE="${DEVICE:-cpu}" EVAL_DEVICE="${EVAL_DEVICE:-${DEVICE:-cpu}}"
TWO_OBJECT="${TWO_OBJECT:-12}"
PROMPTS="${PROMPTS:-$root/resources/shapes/eval_heldout_8.txt}"
sidecar="$root/resources/models/shapes/shapes.linvideo.safetensors"
mkdir -p "$out"
awk 'NR%16==3' "$root/resources/prompts/shapes.txt" | head -24 > "$out/train_prompts.txt"
if [ "$TWO_OBJECT" = 0 ]; then
  # The first runs: the prompts of the issue-5 trajectory cache (one-object only).
  $L cache --prompts "$out/train_prompts.txt" --out "$out/cache" --device "$DEVICE"
  source_args=(--cache "$out/cache")
else
  head -n "$TWO_OBJECT" "$root/resources/shapes/train_two_object_sample.txt" > "$out/two_object_prompts.txt"
  cat "$out/train_prompts.txt" "$out/two_object_prompts.txt" > "$out/distill_prompts.txt"
  source_args=(--prompts "$out/distill_prompts.txt")
fi
name="${NAME:-dmd-$STEPS}"
run="$out/$name"
if [ ! -f "$run/student.safetensors" ]; then
  resume=()
  [ -f "$run/progress.json" ] && resume=(--resume)
  # shellcheck disable=SC2086  # DISTILL_ARGS is a list of flags
  $L distill --sidecar "$sidecar" --steps "$STEPS" --run "$run" "${source_args[@]}" --device "$DEVICE" \
      --lr-gen "${LR_GEN:-2e-5}" --lr-critic "${LR_CRITIC:-2e-5}" ${DISTILL_ARGS:-} "${resume[@]}" 2>&1 \
      | tr '\r' '\n' | grep -v '^\[' >> "$run.log" || true
fi
[ "${EVAL:-1}" = 1 ] || exit 0
evaluate() {  # evaluate NAME [ARGS...]: one report per variant, skipped when present
  local v="$1"; shift
  [ -f "$out/$v.json" ] || $L eval --prompts "$PROMPTS" --seeds "$SEEDS" --device "$EVAL_DEVICE" "$@" \
      --out "$out/$v.json" > "$out/$v.txt" 2>&1
}
[ "${TEACHER:-1}" = 1 ] && evaluate teacher --teacher
evaluate naive4 --steps 4 --sidecar "$sidecar"
evaluate "$name" --student "$run/student.safetensors"
for v in teacher naive4 "$name"; do
  [ -f "$out/$v.txt" ] && printf '%-16s %s\n' "$v" "$(grep '^total:' "$out/$v.txt")"
done
