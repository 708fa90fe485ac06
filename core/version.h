#pragma once
#include <string>

namespace linvideo {
// "linvideo 0.1.0 (LibTorch 1.13.1, CPU)" and similar.
std::string version_string();
bool cuda_available();
}  // namespace linvideo
