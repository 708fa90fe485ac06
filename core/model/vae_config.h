#pragma once
// The Wan VAE's hyper-parameters and their config.json (issue 18: torch-free, so the fuzzer reads it
// exactly as the engine does).
#include <cstdint>
#include <string>
#include <vector>

namespace linvideo::model {

struct VaeConfig {
  std::int64_t base_dim = 96;
  std::int64_t z_dim = 16;
  std::vector<std::int64_t> dim_mult = {1, 2, 4, 4};
  std::int64_t num_res_blocks = 2;
  std::vector<bool> temporal_downsample = {false, true, true};
  // Per-channel latent statistics: z_normalised = (mu - mean) / std.
  std::vector<double> latents_mean = {-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653,
                                      -0.1517, 1.5508,  0.4134,  -0.0715, 0.5517,  -0.3632,
                                      -0.1922, -0.9497, 0.2503,  -0.2921};
  std::vector<double> latents_std = {2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
                                     3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.916};
  std::int64_t temporal_stride() const;  // 4 for Wan
  std::int64_t spatial_stride() const;   // 8 for Wan
  // Throws linvideo::Error naming `label` unless every size is positive and bounded (base_dim <= 4096,
  // z_dim <= 1024, num_res_blocks <= 64, 2..8 levels of multipliers 1..64) and the statistics are
  // finite with positive std.
  void validate(const std::string& label) const;
};

// Original (`dim`, `temperal_downsample`) or diffusers (`base_dim`, `latents_mean`, ...) keys, or an
// object holding either under "original" / "diffusers".
VaeConfig parse_vae_config(const std::string& json_text, const std::string& label);
VaeConfig load_vae_config(const std::string& path);

}  // namespace linvideo::model
