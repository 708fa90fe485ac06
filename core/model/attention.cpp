#include "core/model/attention.h"

#include <ATen/ATen.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/model/autocast.h"

namespace linvideo::model {

const char* attention_mode_name(AttentionMode mode) {
  switch (mode) {
    case AttentionMode::Softmax: return "softmax";
    case AttentionMode::Linear: return "linear";
    case AttentionMode::Mixed: return "mixed";
  }
  return "?";
}

at::Tensor softmax_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             std::int64_t max_score_bytes) {
#if TORCH_VERSION_MAJOR >= 2
  (void)max_score_bytes;
  return at::scaled_dot_product_attention(q, k, v);
#else
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  const std::int64_t lq = q.size(2), lk = k.size(2);
  const std::int64_t rows = q.size(0) * q.size(1);
  // Scores are kept in float32 for stability; chunk the queries so one chunk's scores fit.
  const std::int64_t bytes_per_query = std::max<std::int64_t>(1, rows * lk * 4);
  const std::int64_t chunk = std::max<std::int64_t>(1, std::min(lq, max_score_bytes / bytes_per_query));
  const at::Tensor kt = k.transpose(-2, -1);
  auto block = [&](const at::Tensor& qc) {
    at::Tensor scores = at::matmul(qc, kt).to(at::kFloat).mul_(scale);
    at::Tensor probs = at::softmax(scores, -1).to(v.scalar_type());
    return at::matmul(probs, v);
  };
  if (chunk >= lq) return block(q);
  at::Tensor out = at::empty_like(q);
  for (std::int64_t s = 0; s < lq; s += chunk) {
    const std::int64_t e = std::min(lq, s + chunk);
    out.narrow(2, s, e - s).copy_(block(q.narrow(2, s, e - s)));
  }
  return out;
#endif
}

at::Tensor hedgehog_features(const at::Tensor& x, const at::Tensor& w) {
  const AutocastScope fp32(x.device().type(), false);
  // x [B, H, L, D] @ w [H, D, D] -> [B, H, L, D]
  const at::Tensor proj = at::matmul(x.to(at::kFloat), w.unsqueeze(0));
  return at::cat({at::softmax(proj, -1), at::softmax(-proj, -1)}, -1);
}

at::Tensor linear_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& w_q, const at::Tensor& w_k) {
  // An fp32 island under autocast: the feature maps, state and normaliser must not be cast down.
  const AutocastScope fp32(q.device().type(), false);
  const at::Tensor phi_q = hedgehog_features(q, w_q);
  const at::Tensor phi_k = hedgehog_features(k, w_k);
  const at::Tensor vf = v.to(at::kFloat);
  const at::Tensor state = at::matmul(phi_k.transpose(-2, -1), vf);  // [B, H, 2D, D]
  const at::Tensor norm = phi_k.sum(2, /*keepdim=*/false).unsqueeze(-1);  // [B, H, 2D, 1]
  const at::Tensor num = at::matmul(phi_q, state);                        // [B, H, L, D]
  const at::Tensor den = at::matmul(phi_q, norm).clamp_min(1e-12);        // [B, H, L, 1]
  return (num / den).to(v.scalar_type());
}

void AttentionLayerState::init_linear_branch(std::int64_t heads, std::int64_t head_dim,
                                             const at::Device& device, double scale) {
  if (scale <= 0.0) scale = 1.0 / std::pow(static_cast<double>(head_dim), 0.25);
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(device);
  const at::Tensor eye = at::eye(head_dim, opts).mul(scale).unsqueeze(0).repeat({heads, 1, 1});
  w_q = eye.clone();
  w_k = eye.clone();
  mix_score = at::ones({}, opts);
}

at::Tensor attend(const AttentionLayerState& layer, const at::Tensor& q, const at::Tensor& k,
                  const at::Tensor& v) {
  if (layer.capture) layer.capture->push_back({q.detach(), k.detach(), v.detach()});
  switch (layer.mode) {
    case AttentionMode::Softmax: return softmax_attention(q, k, v);
    case AttentionMode::Linear:
      if (!layer.has_linear_branch()) throw Error("attention layer set to linear without feature maps");
      return linear_attention(q, k, v, layer.w_q, layer.w_k);
    case AttentionMode::Mixed: {
      if (!layer.has_linear_branch()) throw Error("attention layer set to mixed without feature maps");
      const at::Tensor r = layer.mix_score.to(at::kFloat);
      const at::Tensor soft = softmax_attention(q, k, v).to(at::kFloat);
      const at::Tensor lin = linear_attention(q, k, v, layer.w_q, layer.w_k).to(at::kFloat);
      return (r * soft + (1 - r) * lin).to(v.scalar_type());
    }
  }
  return softmax_attention(q, k, v);
}

}  // namespace linvideo::model
