#pragma once
// `linvideo bench vae`: the VAE decode of one clip, timed in several ways in the same run on the
// same random weights and latent: the reference path (float32, at::conv3d, contiguous) first, then
// the paths generation uses (CPU: 2-D convolutions over the frames; CUDA: bf16, then bf16
// channels-last).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/bench/dit_benchmark.h"
#include "core/model/vae_config.h"

namespace linvideo::bench {

struct VaeBenchOptions {
  model::VaeConfig config;  // defaults: Wan2.1's VAE
  std::string device = "cpu";  // cpu | cuda
  std::int64_t frames = 81, height = 480, width = 832;  // the decoded clip
  std::int64_t tile_latent = 0;  // spatial tiling in latent pixels; 0 = off
  int warmup = 1;
  int repeats = 3;
  std::uint64_t seed = 0;
};

struct VaeBenchRow {
  std::string name;  // "fp32-conv3d" (the reference), "fp32-frame-convs", "bf16", "bf16-channels-last"
  TimingStats decode;
  std::int64_t peak_bytes = -1;  // CUDA: peak allocated during the decodes; -1 on CPU
  double rel_diff = 0;           // ||out - reference|| / ||reference||
};

struct VaeBenchResult {
  std::vector<std::int64_t> latent;  // [B, z, T, h, w]
  std::vector<VaeBenchRow> rows;     // rows[0] is the reference
};

// The VAE configuration `--model` names: "2.1" (Wan2.1's VAE), a VAE config.json, or a model folder
// holding vae/config.json.
model::VaeConfig bench_vae_config(const std::string& model);

VaeBenchResult run_vae_benchmark(const VaeBenchOptions& options,
                                 const std::function<void(const std::string&)>& log = {});

}  // namespace linvideo::bench
