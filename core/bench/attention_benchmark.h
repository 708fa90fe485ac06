#pragma once
// `linvideo bench attention`: one attention layer timed three ways in the same run, forward and
// forward+backward: SDPA (softmax), the plain-ATen linear reference, and the fused linear kernels.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/bench/dit_benchmark.h"

namespace linvideo::bench {

struct AttentionBenchOptions {
  std::int64_t tokens = 32760;  // Wan 1.3B at 480x832, 81 frames
  std::int64_t heads = 12;
  std::int64_t head_dim = 128;
  std::int64_t batch = 1;
  std::string dtype = "bf16";   // bf16 | fp32
  std::string device = "cuda";  // cuda | cpu
  int warmup = 3;
  int repeats = 20;
  bool backward = true;  // also time forward+backward
};

struct AttentionTiming {
  std::string name;    // "sdpa", "linear-reference", "linear-fused"
  std::string unavailable;  // empty when it ran; else why not
  TimingStats forward, forward_backward;
};

struct AttentionBenchResult {
  std::vector<AttentionTiming> rows;  // sdpa, linear-reference, linear-fused
  // Minimum device-memory traffic: forward reads q, k, v and writes o; forward+backward adds
  // reading q, k, v, dO and writing dq, dk, dv.
  double forward_bytes = 0, forward_backward_bytes = 0;
  double peak_gbs = 0;          // the card's memory bandwidth (0 if unknown)
  double fused_max_rel_diff = -1;  // fused vs reference output, max |diff| / max |reference|
  std::string device_name;
};

AttentionBenchResult run_attention_benchmark(const AttentionBenchOptions& options,
                                             const std::function<void(const std::string&)>& log = {});

}  // namespace linvideo::bench
