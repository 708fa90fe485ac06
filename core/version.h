#pragma once
#include <string>

namespace linvideo {
// "linvideo 0.1.0 (LibTorch 1.13.1, CPU)" and similar.
std::string version_string();
bool cuda_available();
// Human name of the compute device: the GPU's name for "cuda", else "CPU (N threads)".
std::string device_name(const std::string& device);
}  // namespace linvideo
