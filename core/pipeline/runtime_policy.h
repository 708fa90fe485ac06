#pragma once
// Device and precision policy, in one place: which device and dtype each component runs in, and
// the memory plan that keeps a 480p 81-frame Wan 1.3B run within ~12 GB of GPU memory.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace linvideo::pipeline {

struct RuntimePolicy {
  at::Device device = at::kCPU;           // DiT and VAE
  at::ScalarType dit_dtype = at::kFloat;  // bf16 on CUDA, fp32 on CPU by default
  at::Device text_device = at::kCPU;      // umT5 (5.7B at full size) stays on the CPU by default
  at::ScalarType text_dtype = at::kFloat;
  // The reference decodes in fp32; on CUDA the VAE follows the DiT's dtype (bf16 by default, with
  // float32 channel norms) and runs channels-last, 2x the fp32 decode at half its memory.
  at::ScalarType vae_dtype = at::kFloat;
  bool vae_channels_last = false;
  // Memory plan: encode prompts and drop the text encoder before loading the DiT; drop the DiT
  // before decoding; decode in spatial tiles of this many latent pixels (0 = untiled).
  bool memory_plan = true;
  std::int64_t vae_tile_latent = 0;

  // device: "auto" | "cpu" | "cuda" | "cuda:N"; dtype: "auto" | "fp32" | "bf16"; text_device: "auto" | "cpu" | "cuda".
  static RuntimePolicy make(const std::string& device, const std::string& dtype,
                            const std::string& text_device = "auto", bool memory_plan = true);
  std::string describe() const;
};

// The devices a front end can offer: "cpu" first, then "cuda:N" for each visible GPU. `label` is
// the human name ("CPU (2 threads)", "cuda:0 - NVIDIA H200").
struct DeviceChoice {
  std::string id;
  std::string label;
};
std::vector<DeviceChoice> available_devices();

// GPU memory bookkeeping (no-ops without CUDA).
void release_cached_device_memory();
// The caching allocator's peak of allocated bytes on `device` since the last reset (what tensors
// held, not the allocator's reserve or the CUDA context); -1 for a device that is not CUDA.
std::int64_t peak_device_memory_bytes(const at::Device& device);
void reset_peak_device_memory(const at::Device& device);  // no-op for a device that is not CUDA

}  // namespace linvideo::pipeline
