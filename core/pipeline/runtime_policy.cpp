#include "core/pipeline/runtime_policy.h"

#include <ATen/Context.h>
#include <c10/util/Exception.h>
#ifdef LINVIDEO_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

#include "core/error.h"
#include "core/version.h"

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
  // "cuda:N" names one GPU; plain "cuda" is the first.
  int gpu_index = 0;
  const bool indexed_gpu = device.rfind("cuda:", 0) == 0;
  if (indexed_gpu) {
    const std::string index = device.substr(5);
    if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos) {
      throw Error("--device cuda:N needs a GPU number (got '" + device + "')");
    }
    gpu_index = std::stoi(index);
  }
  if ((device == "cuda" || indexed_gpu) && !cuda) {
    throw Error("--device " + device + ": this build of LibTorch sees no CUDA device");
  }
  if (indexed_gpu && gpu_index >= static_cast<int>(at::getNumGPUs())) {
    throw Error("--device " + device + ": only " + std::to_string(at::getNumGPUs()) + " CUDA device(s) visible");
  }
  if (device != "auto" && device != "cpu" && device != "cuda" && !indexed_gpu) {
    throw Error("--device must be auto, cpu, cuda or cuda:N (got '" + device + "')");
  }
  const bool on_gpu = device == "cuda" || indexed_gpu || (device == "auto" && cuda);
  p.device = on_gpu ? at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(gpu_index)) : at::Device(at::kCPU);
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
  p.text_device = text_gpu ? at::Device(at::kCUDA, on_gpu ? p.device.index() : 0) : at::Device(at::kCPU);
  p.text_dtype = text_gpu ? at::kBFloat16 : at::kFloat;
  p.memory_plan = memory_plan;
  p.vae_tile_latent = on_gpu && memory_plan ? 64 : 0;
  p.vae_dtype = on_gpu ? p.dit_dtype : at::kFloat;
  p.vae_channels_last = on_gpu;
  return p;
}

std::string RuntimePolicy::describe() const {
  return std::string("DiT ") + (device.is_cuda() ? "cuda " : "cpu ") + dtype_name(dit_dtype) + ", text encoder " +
         (text_device.is_cuda() ? "cuda " : "cpu ") + dtype_name(text_dtype) + ", VAE " + dtype_name(vae_dtype) +
         (vae_channels_last ? " channels-last" : "") +
         (memory_plan ? ", memory plan on" : ", memory plan off") +
         (vae_tile_latent > 0 ? " (tiled decode " + std::to_string(vae_tile_latent * 8) + " px)" : "");
}

std::vector<DeviceChoice> available_devices() {
  std::vector<DeviceChoice> devices{{"cpu", device_name("cpu")}};
  if (!at::hasCUDA()) return devices;
  for (std::size_t i = 0; i < at::getNumGPUs(); ++i) {
    const std::string id = "cuda:" + std::to_string(i);
    // device_name() describes the current GPU; good enough for the label of a single-GPU host.
    devices.push_back({id, i == 0 ? id + " - " + device_name("cuda") : id});
  }
  return devices;
}

void release_cached_device_memory() {
#ifdef LINVIDEO_WITH_CUDA
  if (at::hasCUDA()) c10::cuda::CUDACachingAllocator::emptyCache();
#endif
}

#ifdef LINVIDEO_WITH_CUDA
namespace {
c10::DeviceIndex cuda_index(const at::Device& device) {
  return device.has_index() ? device.index() : c10::cuda::current_device();
}
}  // namespace
#endif

std::int64_t peak_device_memory_bytes(const at::Device& device) {
#ifdef LINVIDEO_WITH_CUDA
  if (!device.is_cuda()) return -1;
  // allocated_bytes[0] is the aggregate over pool kinds (StatType::AGGREGATE) in every version.
  return c10::cuda::CUDACachingAllocator::getDeviceStats(cuda_index(device)).allocated_bytes[0].peak;
#else
  (void)device;
  return -1;
#endif
}

void reset_peak_device_memory(const at::Device& device) {
#ifdef LINVIDEO_WITH_CUDA
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(cuda_index(device));
#else
  (void)device;
#endif
}

}  // namespace linvideo::pipeline
