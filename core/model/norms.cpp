#include "core/model/norms.h"

#include <ATen/ATen.h>
#include <torch/version.h>

namespace linvideo::model {

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::Tensor xf = x.to(at::kFloat);
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  return at::rms_norm(xf, {x.size(-1)}, weight, eps);
#else
  return xf * at::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
#endif
}

}  // namespace linvideo::model
