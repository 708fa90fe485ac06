#pragma once
// Self-attention in three modes (softmax / linear / mixed), the one place that decides how a
// layer attends. All tensors are [B, heads, L, head_dim].
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace linvideo::model {

enum class AttentionMode { Softmax, Linear, Mixed };
const char* attention_mode_name(AttentionMode mode);

// Exact softmax attention with scale 1/sqrt(head_dim). Uses at::scaled_dot_product_attention where
// LibTorch provides it (>= 2.0: flash / cuDNN / memory-efficient kernels); otherwise a chunked
// softmax whose score buffer is bounded by `max_score_bytes`, never L x L for long sequences.
at::Tensor softmax_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             std::int64_t max_score_bytes = 256ll << 20);

// Hedgehog feature map phi(x) = [softmax(x W), softmax(-x W)] (over the feature axis), one learned
// W per head. W: [heads, head_dim, head_dim]. Output [B, heads, L, 2 head_dim] in float32.
at::Tensor hedgehog_features(const at::Tensor& x, const at::Tensor& w);

// Linear attention o_i = phi(q_i) S / (phi(q_i) z), S = sum_j phi(k_j)^T v_j, z = sum_j phi(k_j).
// S and z are accumulated in float32 whatever the input dtype. Output has v's dtype.
at::Tensor linear_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& w_q, const at::Tensor& w_k);

// Which implementation linear (and mixed) attention takes. Auto: the fused CUDA kernels
// (kernels/) for CUDA tensors they support, the plain-ATen reference above otherwise (CPU, other
// dtypes, a build without CUDA), logging the reason once per reason when a CUDA tensor falls back.
// Reference: always the reference, for debugging. The environment variable
// LINVIDEO_ATTENTION=reference sets Reference at start-up.
enum class AttentionBackend { Auto, Reference };
AttentionBackend attention_backend();
void set_attention_backend(AttentionBackend backend);
// Empty when linear attention on these inputs takes the fused kernels; otherwise why it takes the
// reference ("a CPU tensor", "built without CUDA", "LINVIDEO_ATTENTION=reference", ...).
std::string fused_attention_unavailable(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                        const at::Tensor& w_q, const at::Tensor& w_k);

// Per-layer state of the LinVideo method (linvideo.md section 7).
struct AttentionLayerState {
  AttentionMode mode = AttentionMode::Softmax;
  at::Tensor w_q, w_k;     // feature maps [heads, head_dim, head_dim], float32; undefined until made
  at::Tensor mix_score;    // r in [0,1] (scalar, float32): 1 = softmax, 0 = linear

  // When set, attend() appends the (detached) q, k, v it sees: calibration data for the
  // attention-transfer warm-up.
  std::vector<std::array<at::Tensor, 3>>* capture = nullptr;

  bool has_linear_branch() const { return w_q.defined() && w_k.defined(); }
  // Creates W = identity * scale (default 1 / head_dim^(1/4)) and r = 1.
  void init_linear_branch(std::int64_t heads, std::int64_t head_dim, const at::Device& device,
                          double scale = 0.0);
};

// Attends according to the layer's mode; Mixed computes r * softmax + (1 - r) * linear and is
// differentiable in r and W. Linear and Mixed go through the backend choice above.
at::Tensor attend(const AttentionLayerState& layer, const at::Tensor& q, const at::Tensor& k,
                  const at::Tensor& v);

}  // namespace linvideo::model
