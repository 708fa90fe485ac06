#pragma once
// The Wan2.1 text-to-video diffusion transformer (original `WanModel`, diffusers
// `WanTransformer3DModel`), forward pass in LibTorch.
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "core/model/attention.h"
#include "core/model/dit_config.h"

namespace linvideo::io {
class Checkpoint;
struct DitKeyMap;
}  // namespace linvideo::io

namespace linvideo::model {

class WeightSource;  // where build() takes weights from (wan_dit.cpp)

struct Linear {
  at::Tensor weight, bias;
  at::Tensor operator()(const at::Tensor& x) const;  // casts x to the weight's dtype
};

struct SelfAttentionWeights {
  Linear q, k, v, o;
  at::Tensor norm_q, norm_k;  // RMSNorm over the full width
  AttentionLayerState state;  // mode and LinVideo parameters
};

struct CrossAttentionWeights {
  Linear q, k, v, o;
  at::Tensor norm_q, norm_k;
};

struct WanBlock {
  at::Tensor modulation;              // [1, 6, dim], float32
  SelfAttentionWeights self_attn;
  at::Tensor norm3_weight, norm3_bias;  // affine LayerNorm before cross-attention
  CrossAttentionWeights cross_attn;
  Linear ffn_in, ffn_out;
};

struct TextCondition {
  at::Tensor embedded;                  // [B, text_len, dim] after the text MLP
  std::vector<at::Tensor> keys, values;  // per layer, [B, heads, text_len, head_dim]
};

struct DitLoadOptions {
  at::Device device = at::kCPU;
  // Dtype of the large projections (float32 or bfloat16). Norms, modulation, the time MLP and the
  // residual stream always stay float32, as the reference keeps them.
  at::ScalarType dtype = at::kFloat;
};

class WanDiT {
 public:
  // Loads every weight by its internal name; a missing or mis-shaped tensor is an Error naming it.
  static std::unique_ptr<WanDiT> load(const io::Checkpoint& checkpoint, const io::DitKeyMap& keys,
                                      const DitConfig& config, const DitLoadOptions& options = {});

  // Seeded random weights of the right shapes and scales: benchmarks and tests without a download.
  static std::unique_ptr<WanDiT> random(const DitConfig& config, const DitLoadOptions& options,
                                        std::uint64_t seed);

  const DitConfig& config() const { return config_; }
  // Every weight under its internal (original Wan) name, as stored on the device.
  std::vector<std::pair<std::string, at::Tensor>> named_weights() const;
  const DitLoadOptions& options() const { return options_; }
  std::int64_t num_layers() const { return static_cast<std::int64_t>(blocks_.size()); }
  AttentionLayerState& attention_state(std::int64_t layer);
  const AttentionLayerState& attention_state(std::int64_t layer) const;

  // The text condition depends only on the prompt, so its embedding and every layer's
  // cross-attention keys and values are computed once per prompt, not once per step.
  // context: [B, Lc <= text_len, text_dim]; zero-padded to text_len here, as the reference does.
  TextCondition encode_condition(const at::Tensor& context) const;

  // x: [B, in_dim, F, H, W] latents; t: [B] diffusion time on the 0..1000 scale.
  // Returns the flow velocity [B, out_dim, F, H, W] in float32.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const TextCondition& condition) const;
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& context) const {
    return forward(x, t, encode_condition(context));
  }

  // Per-block gradient checkpointing (core/model/block_checkpoint.h) of forward passes that record
  // gradients: each block keeps only its inputs and is re-run in the backward. Same values and
  // gradients, less memory, about one more forward per step. Off by default; passes without
  // gradients (inference, no_grad) are never affected.
  void set_gradient_checkpointing(bool on) { gradient_checkpointing_ = on; }
  bool gradient_checkpointing() const { return gradient_checkpointing_; }

 private:
  WanDiT() = default;
  static std::unique_ptr<WanDiT> build(const WeightSource& weights, const DitConfig& config,
                                       const DitLoadOptions& options);
  at::Tensor time_embedding(const at::Tensor& t) const;  // e [B, dim]
  at::Tensor self_attention(const SelfAttentionWeights& w, const at::Tensor& x,
                            const struct RopeTable& rope) const;
  at::Tensor cross_attention(const CrossAttentionWeights& w, const at::Tensor& x,
                             const at::Tensor& keys, const at::Tensor& values) const;
  // One transformer block on the float32 residual stream x [B, L, dim]; e0 [B, 6, dim].
  at::Tensor block_forward(std::size_t layer, const at::Tensor& x, const at::Tensor& e0,
                           const struct RopeTable& rope, const at::Tensor& keys, const at::Tensor& values) const;

  DitConfig config_;
  DitLoadOptions options_;
  at::Tensor patch_weight_, patch_bias_;
  Linear text_in_, text_out_, time_in_, time_out_, time_projection_;
  std::vector<WanBlock> blocks_;
  at::Tensor head_modulation_;  // [1, 2, dim]
  Linear head_;
  bool gradient_checkpointing_ = false;
};

}  // namespace linvideo::model
