#pragma once
// The Wan2.1 video VAE (original `WanVAE_`, diffusers `AutoencoderKLWan`): causal 3-D convolutions
// processed in 1 + 4k frame chunks with per-convolution temporal caches, so memory stays bounded by
// one chunk whatever the clip length.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/model/vae_config.h"

namespace linvideo::io {
class Checkpoint;
struct VaeKeyMap;
}  // namespace linvideo::io

namespace linvideo::model {

struct VaeOptions {
  at::Device device = at::kCPU;
  at::ScalarType dtype = at::kFloat;  // the reference decodes in float32
  // Spatial tiling for decode (latent pixels; 0 = off). Tiles overlap and are blended linearly.
  std::int64_t tile_latent = 0;
  std::int64_t tile_overlap_latent = 8;
  // On CPU, run each causal 3-D convolution as 2-D convolutions over the frames, summed over its
  // time taps (3-4x faster than at::conv3d there; the same sums to float rounding). Off: at::conv3d,
  // the reference path (`linvideo bench vae` times both). No effect on CUDA.
  bool frame_convs = true;
  // On CUDA, keep weights and activations channels-last (NDHWC), which cuDNN's 3-D convolutions
  // prefer in bf16. No effect on CPU.
  bool channels_last = false;
};

class WanVAE {
 public:
  static std::unique_ptr<WanVAE> load(const io::Checkpoint& checkpoint, const io::VaeKeyMap& keys,
                                      const VaeConfig& config, const VaeOptions& options = {});
  static std::unique_ptr<WanVAE> random(const VaeConfig& config, const VaeOptions& options, std::uint64_t seed);
  ~WanVAE();

  const VaeConfig& config() const { return config_; }
  VaeOptions& options() { return options_; }

  // video [B, 3, 1 + 4k, H, W] in [-1, 1] -> raw encoder mean [B, z_dim, 1 + k, H/8, W/8].
  at::Tensor encode(const at::Tensor& video) const;
  // Raw latent [B, z_dim, T, h, w] -> video [B, 3, 1 + 4(T-1), 8h, 8w] clamped to [-1, 1], float32.
  // `on_chunk(done, total)` is called after each latent frame (progress, cancellation by throwing).
  at::Tensor decode(const at::Tensor& z, const std::function<void(std::int64_t, std::int64_t)>& on_chunk = {}) const;

  // Training: decode without the final clamp, so gradients flow everywhere.
  at::Tensor decode_unclamped(const at::Tensor& z) const;
  // Every weight under its internal (original Wan) name; set requires_grad on these to train.
  std::vector<std::pair<std::string, at::Tensor>> named_weights() const;

  at::Tensor normalize(const at::Tensor& mu) const;   // (mu - mean) / std
  at::Tensor denormalize(const at::Tensor& z) const;  // z * std + mean

 struct Impl;  // opaque: the module tree lives in wan_vae.cpp

 private:
  WanVAE(VaeConfig config, VaeOptions options);
  at::Tensor decode_untiled(const at::Tensor& z, const std::function<void(std::int64_t, std::int64_t)>& on_chunk,
                            bool clamp = true) const;
  VaeConfig config_;
  VaeOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace linvideo::model
