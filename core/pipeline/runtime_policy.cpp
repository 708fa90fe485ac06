#include "core/pipeline/runtime_policy.h"

#include <ATen/Context.h>
#include <c10/util/Exception.h>
#ifdef LINVIDEO_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include "core/error.h"

namespace linvideo::pipeline {
namespace {

const char* dtype_name(at::ScalarType t) {
  return t == at::kBFloat16 ? "bf16" : t == at::kHalf ? "fp16" : "fp32";
}

}  // namespace

RuntimePolicy RuntimePolicy::make(const std::string& device, const std::string& dtype,
                                  const std::string& text_device, bool memory_plan) {
  RuntimePolicy p;
  const bool cuda = at::hasCUDA();
  if (device == "cuda" && !cuda) throw Error("--device cuda: this build of LibTorch sees no CUDA device");
  if (device != "auto" && device != "cpu" && device != "cuda") {
    throw Error("--device must be auto, cpu or cuda (got '" + device + "')");
  }
  const bool on_gpu = device == "cuda" || (device == "auto" && cuda);
  p.device = on_gpu ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  if (dtype == "auto") {
    p.dit_dtype = on_gpu ? at::kBFloat16 : at::kFloat;
  } else if (dtype == "bf16") {
    p.dit_dtype = at::kBFloat16;
  } else if (dtype == "fp32") {
    p.dit_dtype = at::kFloat;
  } else {
    throw Error("--dtype must be auto, fp32 or bf16 (got '" + dtype + "')");
  }
  if (text_device == "cuda" && !cuda) throw Error("--text-device cuda: no CUDA device");
  if (text_device != "auto" && text_device != "cpu" && text_device != "cuda") {
    throw Error("--text-device must be auto, cpu or cuda (got '" + text_device + "')");
  }
  // With the memory plan the encoder is dropped before the DiT loads, so the GPU can host it.
  const bool text_gpu = text_device == "cuda" || (text_device == "auto" && on_gpu && memory_plan);
  p.text_device = text_gpu ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  p.text_dtype = text_gpu ? at::kBFloat16 : at::kFloat;
  p.memory_plan = memory_plan;
  p.vae_tile_latent = on_gpu && memory_plan ? 64 : 0;
  return p;
}

std::string RuntimePolicy::describe() const {
  return std::string("DiT ") + (device.is_cuda() ? "cuda " : "cpu ") + dtype_name(dit_dtype) + ", text encoder " +
         (text_device.is_cuda() ? "cuda " : "cpu ") + dtype_name(text_dtype) + ", VAE " + dtype_name(vae_dtype) +
         (memory_plan ? ", memory plan on" : ", memory plan off") +
         (vae_tile_latent > 0 ? " (tiled decode " + std::to_string(vae_tile_latent * 8) + " px)" : "");
}

void release_cached_device_memory() {
#ifdef LINVIDEO_WITH_CUDA
  if (at::hasCUDA()) c10::cuda::CUDACachingAllocator::emptyCache();
#endif
}

}  // namespace linvideo::pipeline
