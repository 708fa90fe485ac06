#pragma once
// Normalisations shared by the DiT and the text encoder.
#include <ATen/core/Tensor.h>

namespace linvideo::model {

// RMSNorm over the last axis, computed in float32 (weight float32): x * rsqrt(mean(x^2) + eps) * w.
// Uses LibTorch's fused at::rms_norm where it exists (>= 2.4).
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

}  // namespace linvideo::model
