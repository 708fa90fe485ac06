#include "core/version.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>
#ifdef LINVIDEO_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace linvideo {

bool cuda_available() { return at::hasCUDA(); }

std::string version_string() {
  return std::string("linvideo ") + LINVIDEO_VERSION + " (LibTorch " + TORCH_VERSION + ", " +
         (cuda_available() ? "CUDA" : "CPU") + ")";
}

std::string device_name(const std::string& device) {
#ifdef LINVIDEO_WITH_CUDA
  if (device == "cuda" && cuda_available()) return at::cuda::getCurrentDeviceProperties()->name;
#endif
  (void)device;
  const int threads = at::get_num_threads();
  return "CPU (" + std::to_string(threads) + (threads == 1 ? " thread)" : " threads)");
}

}  // namespace linvideo
