#include "core/version.h"

#include <ATen/Context.h>
#include <torch/version.h>

namespace linvideo {

bool cuda_available() { return at::hasCUDA(); }

std::string version_string() {
  return std::string("linvideo ") + LINVIDEO_VERSION + " (LibTorch " + TORCH_VERSION + ", " +
         (cuda_available() ? "CUDA" : "CPU") + ")";
}

}  // namespace linvideo
