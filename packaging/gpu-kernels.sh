#!/usr/bin/env bash
# Issue 16's device call in one command: build the CLI and the kernel harness against the CUDA
# LibTorch, run the harness, then the attention, DiT and transfer benchmarks. Results in ${OUT:-gpu-out}.
# STAGES (default "build test attention dit transfer") picks what runs; MEMCHECK=1 adds compute-sanitizer;
# the stage "suite" builds every target and runs the whole ctest suite (OMP_NUM_THREADS=4, -j 8: the
# machine's 16 cores oversubscribe at -j 16), with LINVIDEO_GOLDEN_DIR defaulting to ./shared/golden.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-out}"
mkdir -p "$out"
cd "$root"
stages=" ${STAGES:-build test attention dit transfer} "
has() { [[ "$stages" == *" $1 "* ]]; }
logs="${LOGS:-/tmp/linvideo-gpu-logs}"  # build logs stay on the machine: the device tool returns few files
mkdir -p "$logs"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
git log --oneline -1 2>/dev/null || echo "${LINVIDEO_COMMIT:-unknown commit}"
if has build; then
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')" \
    -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-90a}" > "$logs/configure.log" 2>&1 || { tail -30 "$logs/configure.log"; exit 1; }
  grep "LinVideo" "$logs/configure.log"
  targets="--target linvideo linvideo_kernel_tests"
  has suite && targets=""
  ( time cmake --build build-gpu -j "$(nproc)" $targets -- -k 0 ) > "$logs/build.log" 2>&1 \
    || { grep -E "error" -A3 "$logs/build.log" | head -80; exit 1; }
  tail -3 "$logs/build.log"
fi
bin=build-gpu/app/linvideo
if has test; then
  timeout "${TEST_TIMEOUT:-240}" build-gpu/tests/linvideo_kernel_tests --gtest_brief=1 ${GTEST_ARGS:-} > "$out/kernel_tests.txt" 2>&1
  echo "kernel tests exit $?"
  grep -vE "^linvideo:|^$" "$out/kernel_tests.txt" | head -${TEST_LINES:-60}
fi
if has memcheck || [ "${MEMCHECK:-0}" = 1 ]; then
  timeout "${MEMCHECK_TIMEOUT:-240}" /usr/local/cuda/bin/compute-sanitizer --tool memcheck --error-exitcode 3 build-gpu/tests/linvideo_kernel_tests \
    --gtest_filter="${MEMCHECK_FILTER:-*L320*:*L17_*:*L1_*:FusedAttentionCuda.*}" > "$out/memcheck.log" 2>&1
  echo "memcheck exit $? ($(grep -E 'ERROR SUMMARY' "$out/memcheck.log" | tail -1))"; grep -E "PASSED|FAILED" "$out/memcheck.log" | head
fi
if has attention; then
  for d in 128 64; do
    timeout 120 $bin bench attention --device cuda --dtype bf16 --tokens 32760 --heads 12 --head-dim $d --repeats 20 \
      --json "$out/bench_attention_D${d}.json"
  done
  # the same forward on the WMMA kernels, for the A/B of the mma.sync ones
  LINVIDEO_KERNELS_FORWARD=wmma timeout 120 $bin bench attention --device cuda --dtype bf16 --tokens 32760 --heads 12 \
    --head-dim 128 --repeats 20 --no-backward --json "$out/bench_attention_D128_wmma_forward.json" | grep -E 'linear-fused|fused_vs'
  # the backward on the WMMA kernels, for the A/B of the mma.sync ones
  LINVIDEO_KERNELS_BACKWARD=wmma timeout 120 $bin bench attention --device cuda --dtype bf16 --tokens 32760 --heads 12 \
    --head-dim 128 --repeats 20 --json "$out/bench_attention_D128_wmma_backward.json" | grep -E 'linear-fused|fused_vs'
  # and with the 12-warp apply variant
  LINVIDEO_KERNELS_APPLY_WARPS=12 timeout 120 $bin bench attention --device cuda --dtype bf16 --tokens 32760 --heads 12 \
    --head-dim 128 --repeats 20 --no-backward | grep -E 'linear-fused|fused_vs_sdpa'
fi
if has profile; then  # per-kernel time and speed-of-light of the fused kernels (Nsight Compute), D 128
  /usr/local/cuda/bin/ncu --clock-control none --kernel-name regex:"${PROFILE_KERNELS:-^(state_|apply_|reduce_|center_|bq_|bkv_)}" --launch-count "${PROFILE_COUNT:-12}" \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section MemoryWorkloadAnalysis \
    --section WarpStateStats --section SchedulerStats --section ComputeWorkloadAnalysis \
    $bin bench attention --device cuda --dtype bf16 --tokens 32760 --heads 12 --head-dim 128 --repeats 1 --warmup 0 \
    > "$out/profile.txt" 2>&1
  echo "profile exit $?"
  grep -E "_kernel|Duration|Compute \(SM\) Throughput|Memory Throughput|Issued Ipc|Warp Cycles Per Issued|stall|Achieved Occupancy|Registers Per|Bank|One or More Eligible" "$out/profile.txt" \
    | sed -E 's/\(int, .*\) \(/ (/' | cut -c1-240 | head -${PROFILE_LINES:-150}
fi
has dit && timeout 200 $bin bench dit --device cuda --dtype bf16 --repeats 10 --warmup 3 --json "$out/bench_dit_1p3b_480p.json"
has transfer && timeout 200 $bin bench transfer --device cuda --steps 30 --skip 5 --json "$out/bench_transfer_shapes.json"
if has suite; then
  export LINVIDEO_GOLDEN_DIR="${LINVIDEO_GOLDEN_DIR:-$root/shared/golden}"
  OMP_NUM_THREADS=4 timeout "${SUITE_TIMEOUT:-300}" ctest --test-dir build-gpu -j 8 --timeout 240 > "$out/ctest.log" 2>&1
  echo "ctest exit $?"
  grep -E "tests passed|tests failed|\*\*\*|Failed|Not Run|Timeout" "$out/ctest.log" | head -20
fi
exit 0
