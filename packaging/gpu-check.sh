#!/usr/bin/env bash
# The GPU machine's check (see ../shared/gpu/README.md): build the engine against the CUDA LibTorch,
# run every test (CUDA tests included), benchmark (DiT forward, few-step vs dense generation, DMD2
# memory), and time a full 1.3B-size generation with and without the memory plan. Writes logs and JSON to ${OUT:-gpu-out}.
# Usage: LINVIDEO_GOLDEN_DIR=... [CTEST_ARGS="-R Cuda"] packaging/gpu-check.sh [quick|peer]
# `peer` (issue 17): build the CLI only, run the Python reference (../shared/peer, copied into .peer/
# and carried) and then our DiT and VAE benchmarks and a 4-step generation in the same call, and
# print the ratios. About 5 minutes at the 1.3B shape, most of it torch.compile.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-out}"
mkdir -p "$out"
cd "$root"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
(git log --oneline -1 2>/dev/null || echo "${LINVIDEO_COMMIT:-unknown commit}") | tee "$out/commit.txt"
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')" \
  -DCMAKE_CUDA_ARCHITECTURES=90a > "$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
grep "LinVideo" "$out/configure.log"
bin=build-gpu/app/linvideo
if [ "${1:-}" = peer ]; then
  [ -f .peer/wan_reference_bench.py ] || { echo "peer: copy ../shared/peer/* into .peer/ and carry .peer"; exit 1; }
  ( time cmake --build build-gpu -j "$(nproc)" --target linvideo -- -k 0 ) > "$out/build.log" 2>&1 \
    || { grep -E "error" "$out/build.log" | head -30; exit 1; }
  mkdir -p /tmp/peer && tar -xJf .peer/diffusers-src.tar.xz -C /tmp/peer && echo 'def fix_text(s): return s' > /tmp/peer/ftfy.py
  PYTHONPATH=/tmp/peer timeout 400 python3 .peer/wan_reference_bench.py --json "$out/peer.json" > "$out/peer.log" 2>&1
  echo "peer exit $?"
  timeout 150 $bin bench dit --device cuda --dtype bf16 --repeats 10 --warmup 3 --json "$out/bench_dit.json" | grep -E "softmax:|hybrid:"
  timeout 120 $bin bench vae --device cuda --repeats 3 --json "$out/bench_vae.json" | tail -4
  # The 4-step student's work at the 1.3B shape: 4 DiT forwards without CFG, 16 of 30 layers linear, and the decode.
  timeout 120 $bin generate --random-model 1.3B --random-text -p "a timing run" --steps 4 --guidance 1 \
    --linear 2-8,10-13,15-16,23,25,30 --device cuda --out /tmp/linvideo_4step.y4m > "$out/generate_4step.log" 2>&1
  grep -E "policy|sampling|decode|total|peak" "$out/generate_4step.log"
  python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
def load(name):
    try:
        return json.load(open(os.path.join(out, name)))
    except Exception as e:
        print(f"{name}: not read ({e})"); return None
peer, dit, vae = load("peer.json"), load("bench_dit.json"), load("bench_vae.json")
if peer and dit:
    comp, eager = peer.get("dit_compiled_ms"), peer.get("dit_eager_ms")
    for key, label in (("softmax_median_ms", "all-softmax"), ("hybrid_median_ms", "16/30 linear")):
        ours = dit.get(key)
        if ours and comp: print(f"DiT {label}: ours {ours:.1f} ms, diffusers compiled {comp:.1f} ms -> {comp / ours:.2f}x, eager {eager:.1f} ms -> {eager / ours:.2f}x")
if peer and vae:
    rows = {r["name"]: r for r in vae["rows"]}
    for name in ("bf16-channels-last", "fp32-conv3d"):
        if name in rows and peer.get("vae_decode_bf16_s"):
            ms = rows[name]["decode_median_ms"]
            print(f"VAE {name}: ours {ms / 1000:.2f} s, diffusers bf16 {peer['vae_decode_bf16_s']:.2f} s -> {peer['vae_decode_bf16_s'] * 1000 / ms:.2f}x")
PY
  exit 0
fi
( time cmake --build build-gpu -j "$(nproc)" -- -k 0 ) > "$out/build.log" 2>&1 || { grep -E "error" "$out/build.log" | head -30; exit 1; }
tail -3 "$out/build.log"
ctest --test-dir build-gpu --output-on-failure -j 4 ${CTEST_ARGS:-} > "$out/ctest.log" 2>&1
grep -E "tests passed|tests failed|Failed|\*\*\*" "$out/ctest.log" | head -20
# Issue 16: the fused linear-attention kernels against SDPA and the ATen reference (one layer at the
# Wan 1.3B shape, forward and forward+backward), the DiT forward with 16 of 30 layers linear, and
# transfer steps on the shapes model with and without the kernels. MEMCHECK=1 also runs the kernel
# harness under compute-sanitizer.
$bin bench attention --device cuda --dtype bf16 --tokens 32760 --heads 12 --head-dim 128 --repeats 20 \
  --json "$out/bench_attention_1p3b_480p.json"
$bin bench dit --device cuda --dtype bf16 --repeats 10 --warmup 3 --json "$out/bench_dit_1p3b_480p.json"
$bin bench transfer --device cuda --steps 30 --skip 5 --json "$out/bench_transfer_shapes.json"
if [ "${MEMCHECK:-0}" = 1 ]; then
  /usr/local/cuda/bin/compute-sanitizer --tool memcheck --error-exitcode 3 build-gpu/tests/linvideo_kernel_tests \
    --gtest_filter="${MEMCHECK_FILTER:-*L320*:*L17_*:*L1_*:*L4095_D64_B1_bf16*:FusedAttentionCuda.*}" > "$out/memcheck.log" 2>&1
  echo "memcheck exit $? ($(grep -E 'ERROR SUMMARY' "$out/memcheck.log" | tail -1))"
fi
[ "${1:-}" = quick ] && exit 0

# Issue 8: the 4-step LinVideo student's DiT time against the 50-step all-softmax CFG generation's,
# in one run; then DMD2 (teacher + student + critic) on one GPU at the same shape.
$bin bench generation --device cuda --teacher-repeats 3 --student-repeats 10 -v --json "$out/bench_generation_1p3b_480p.json" 2> "$out/bench_generation.log"
$bin bench distill --device cuda --steps 2 -v --json "$out/bench_distill_1p3b_480p.json" 2> "$out/bench_distill.log"

# Peak GPU memory is sampled by nvidia-smi (what the driver sees: context + allocator reserve).
peak_of() { sort -n "$1" | tail -1; }
sample_memory() { nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$1" & echo $!; }

pid=$(sample_memory "$out/mem_plan.csv")
$bin generate --random-model 1.3B -p "a timing run" --steps 50 --guidance 5 --frames 81 --height 480 --width 832 \
  --device cuda --dtype bf16 --out /tmp/linvideo_1p3b.y4m > "$out/generate_plan.log" 2>&1
kill "$pid"; sleep 0.3
grep -E "policy|sampling|decode" "$out/generate_plan.log"; echo "peak MiB with memory plan: $(peak_of "$out/mem_plan.csv")"

pid=$(sample_memory "$out/mem_noplan.csv")
$bin generate --random-model 1.3B -p "a timing run" --steps 3 --guidance 5 --frames 81 --height 480 --width 832 \
  --device cuda --dtype bf16 --no-memory-plan --out /tmp/linvideo_1p3b_noplan.y4m > "$out/generate_noplan.log" 2>&1
kill "$pid"; sleep 0.3
grep -E "policy|sampling|decode" "$out/generate_noplan.log"; echo "peak MiB without memory plan: $(peak_of "$out/mem_noplan.csv")"
