#include "core/model/wan_dit.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <torch/version.h>

#include <cmath>

#include "core/error.h"
#include "core/model/norms.h"
#include "core/io/checkpoint.h"
#include "core/io/dit_dialect.h"
#include "core/model/autocast.h"
#include "core/model/block_checkpoint.h"
#include "core/model/rope.h"

namespace linvideo::model {

// Where weights come from: a checkpoint, or a seeded random initialisation (benchmarks, tests).
// Either way they are shape-checked, converted and placed here, once.
class WeightSource {
 public:
  explicit WeightSource(const DitLoadOptions& o) : opts_(o) {}
  virtual ~WeightSource() = default;

  at::Tensor get(const std::string& internal, at::IntArrayRef shape, bool keep_fp32 = false) const {
    const at::ScalarType dtype = keep_fp32 ? at::kFloat : opts_.dtype;
    return fetch(internal, shape).to(opts_.device, dtype).contiguous();
  }
  Linear linear(const std::string& prefix, std::int64_t out, std::int64_t in, bool keep_fp32 = false) const {
    return {get(prefix + ".weight", {out, in}, keep_fp32), get(prefix + ".bias", {out}, keep_fp32)};
  }

 protected:
  virtual at::Tensor fetch(const std::string& internal, at::IntArrayRef shape) const = 0;
  const DitLoadOptions& opts_;
};

namespace {


// LayerNorm without affine, then the block's modulation: norm(x) * (1 + scale) + shift.
at::Tensor modulated_norm(const at::Tensor& x, const at::Tensor& one_plus_scale,
                          const at::Tensor& shift, double eps) {
  return at::addcmul(shift, at::layer_norm(x, {x.size(-1)}, {}, {}, eps), one_plus_scale);
}


// One block's weights under their names inside the block (without the "blocks.N." prefix).
std::vector<std::pair<std::string, at::Tensor>> block_weights(const WanBlock& blk) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  auto linear = [&](const std::string& name, const Linear& l) {
    out.emplace_back(name + ".weight", l.weight);
    out.emplace_back(name + ".bias", l.bias);
  };
  out.emplace_back("modulation", blk.modulation);
  linear("self_attn.q", blk.self_attn.q);
  linear("self_attn.k", blk.self_attn.k);
  linear("self_attn.v", blk.self_attn.v);
  linear("self_attn.o", blk.self_attn.o);
  out.emplace_back("self_attn.norm_q.weight", blk.self_attn.norm_q);
  out.emplace_back("self_attn.norm_k.weight", blk.self_attn.norm_k);
  out.emplace_back("norm3.weight", blk.norm3_weight);
  out.emplace_back("norm3.bias", blk.norm3_bias);
  linear("cross_attn.q", blk.cross_attn.q);
  linear("cross_attn.k", blk.cross_attn.k);
  linear("cross_attn.v", blk.cross_attn.v);
  linear("cross_attn.o", blk.cross_attn.o);
  out.emplace_back("cross_attn.norm_q.weight", blk.cross_attn.norm_q);
  out.emplace_back("cross_attn.norm_k.weight", blk.cross_attn.norm_k);
  linear("ffn.0", blk.ffn_in);
  linear("ffn.2", blk.ffn_out);
  return out;
}

class CheckpointSource final : public WeightSource {
 public:
  CheckpointSource(const io::Checkpoint& c, const io::DitKeyMap& k, const DitLoadOptions& o)
      : WeightSource(o), ckpt_(c), keys_(k) {}

 protected:
  at::Tensor fetch(const std::string& internal, at::IntArrayRef shape) const override {
    const std::string stored = keys_.to_stored(internal);
    if (!ckpt_.contains(stored)) throw Error(ckpt_.source() + ": missing tensor '" + stored + "'");
    at::Tensor t = ckpt_.tensor(stored);
    if (t.sizes() != shape) {
      throw Error(ckpt_.file_of(stored) + ": tensor '" + stored + "' has shape " +
                  c10::str(t.sizes()) + ", expected " + c10::str(shape));
    }
    if (!at::isFloatingType(t.scalar_type())) {
      throw Error(ckpt_.file_of(stored) + ": tensor '" + stored + "' is not floating point");
    }
    return t;
  }

 private:
  const io::Checkpoint& ckpt_;
  const io::DitKeyMap& keys_;
};

class RandomSource final : public WeightSource {
 public:
  RandomSource(std::uint64_t seed, const DitLoadOptions& o) : WeightSource(o) {
    generator_ = at::make_generator<at::CPUGeneratorImpl>(seed);
  }

 protected:
  at::Tensor fetch(const std::string& internal, at::IntArrayRef shape) const override {
    const auto ends = [&](const char* s) {
      const std::string suffix(s);
      return internal.size() >= suffix.size() &&
             internal.compare(internal.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    const at::Tensor noise = at::randn(shape, generator_, at::TensorOptions().dtype(at::kFloat));
    if (ends("norm_q.weight") || ends("norm_k.weight") || ends("norm3.weight")) return 1 + 0.1 * noise;
    if (ends("modulation")) return noise / std::sqrt(static_cast<double>(shape.back()));
    if (ends(".bias")) return 0.02 * noise;
    // Weights: unit-variance outputs, like PyTorch's default fan-in scaling.
    std::int64_t fan_in = 1;
    for (std::size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
    return noise / std::sqrt(static_cast<double>(fan_in));
  }

 private:
  at::Generator generator_;
};

}  // namespace

at::Tensor Linear::operator()(const at::Tensor& x) const {
  return at::linear(x.to(weight.scalar_type()), weight, bias);
}

std::unique_ptr<WanDiT> WanDiT::load(const io::Checkpoint& checkpoint, const io::DitKeyMap& keys,
                                     const DitConfig& config, const DitLoadOptions& options) {
  config.validate(checkpoint.source());
  return build(CheckpointSource(checkpoint, keys, options), config, options);
}

std::unique_ptr<WanDiT> WanDiT::random(const DitConfig& config, const DitLoadOptions& options,
                                       std::uint64_t seed) {
  config.validate("random DiT");
  return build(RandomSource(seed, options), config, options);
}

std::unique_ptr<WanDiT> WanDiT::build(const WeightSource& w, const DitConfig& config,
                                      const DitLoadOptions& options) {
  if (options.dtype != at::kFloat && options.dtype != at::kBFloat16 && options.dtype != at::kHalf) {
    throw Error("DiT dtype must be float32, bfloat16 or float16");
  }
  std::unique_ptr<WanDiT> m(new WanDiT());
  m->config_ = config;
  m->options_ = options;
  const std::int64_t d = config.dim;
  const auto& p = config.patch;
  m->patch_weight_ = w.get("patch_embedding.weight", {d, config.in_dim, p[0], p[1], p[2]});
  m->patch_bias_ = w.get("patch_embedding.bias", {d});
  m->text_in_ = w.linear("text_embedding.0", d, config.text_dim);
  m->text_out_ = w.linear("text_embedding.2", d, d);
  m->time_in_ = w.linear("time_embedding.0", d, config.freq_dim, /*keep_fp32=*/true);
  m->time_out_ = w.linear("time_embedding.2", d, d, true);
  m->time_projection_ = w.linear("time_projection.1", 6 * d, d, true);
  for (std::int64_t i = 0; i < config.num_layers; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    WanBlock blk;
    blk.modulation = w.get(b + "modulation", {1, 6, d}, true);
    blk.self_attn.q = w.linear(b + "self_attn.q", d, d);
    blk.self_attn.k = w.linear(b + "self_attn.k", d, d);
    blk.self_attn.v = w.linear(b + "self_attn.v", d, d);
    blk.self_attn.o = w.linear(b + "self_attn.o", d, d);
    blk.self_attn.norm_q = w.get(b + "self_attn.norm_q.weight", {d}, true);
    blk.self_attn.norm_k = w.get(b + "self_attn.norm_k.weight", {d}, true);
    blk.norm3_weight = w.get(b + "norm3.weight", {d}, true);
    blk.norm3_bias = w.get(b + "norm3.bias", {d}, true);
    blk.cross_attn.q = w.linear(b + "cross_attn.q", d, d);
    blk.cross_attn.k = w.linear(b + "cross_attn.k", d, d);
    blk.cross_attn.v = w.linear(b + "cross_attn.v", d, d);
    blk.cross_attn.o = w.linear(b + "cross_attn.o", d, d);
    blk.cross_attn.norm_q = w.get(b + "cross_attn.norm_q.weight", {d}, true);
    blk.cross_attn.norm_k = w.get(b + "cross_attn.norm_k.weight", {d}, true);
    blk.ffn_in = w.linear(b + "ffn.0", config.ffn_dim, d);
    blk.ffn_out = w.linear(b + "ffn.2", d, config.ffn_dim);
    m->blocks_.push_back(std::move(blk));
  }
  m->head_modulation_ = w.get("head.modulation", {1, 2, d}, true);
  m->head_ = w.linear("head.head", config.out_dim * p[0] * p[1] * p[2], d);
  return m;
}

std::vector<std::pair<std::string, at::Tensor>> WanDiT::named_weights() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  auto linear = [&](const std::string& name, const Linear& l) {
    out.emplace_back(name + ".weight", l.weight);
    out.emplace_back(name + ".bias", l.bias);
  };
  out.emplace_back("patch_embedding.weight", patch_weight_);
  out.emplace_back("patch_embedding.bias", patch_bias_);
  linear("text_embedding.0", text_in_);
  linear("text_embedding.2", text_out_);
  linear("time_embedding.0", time_in_);
  linear("time_embedding.2", time_out_);
  linear("time_projection.1", time_projection_);
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    for (auto& [name, t] : block_weights(blocks_[i])) out.emplace_back("blocks." + std::to_string(i) + "." + name, t);
  }
  out.emplace_back("head.modulation", head_modulation_);
  linear("head.head", head_);
  return out;
}

const AttentionLayerState& WanDiT::attention_state(std::int64_t layer) const {
  return const_cast<WanDiT*>(this)->attention_state(layer);
}

AttentionLayerState& WanDiT::attention_state(std::int64_t layer) {
  if (layer < 0 || layer >= num_layers()) {
    throw Error("layer " + std::to_string(layer) + " is out of range (model has " +
                std::to_string(num_layers()) + " layers)");
  }
  return blocks_[static_cast<std::size_t>(layer)].self_attn.state;
}

at::Tensor WanDiT::time_embedding(const at::Tensor& t) const {
  // Sinusoid [cos, sin] with frequencies 10000^(-i/half), computed in float64 like the reference.
  const std::int64_t half = config_.freq_dim / 2;
  const auto opts = at::TensorOptions().dtype(at::kDouble).device(t.device());
  const at::Tensor freqs = at::pow(10000.0, at::arange(half, opts).div(static_cast<double>(half)).neg());
  const at::Tensor angles = at::outer(t.to(at::kDouble).reshape({-1}), freqs);
  const at::Tensor sinusoid = at::cat({angles.cos(), angles.sin()}, 1).to(at::kFloat);
  return time_out_(at::silu(time_in_(sinusoid)));
}

TextCondition WanDiT::encode_condition(const at::Tensor& context) const {
  if (context.dim() != 3 || context.size(2) != config_.text_dim) {
    throw Error("context must be [batch, length, " + std::to_string(config_.text_dim) + "], got " +
                c10::str(context.sizes()));
  }
  if (context.size(1) > config_.text_len) {
    throw Error("context has " + std::to_string(context.size(1)) + " tokens, more than text_len " +
                std::to_string(config_.text_len));
  }
  at::Tensor padded = context.to(options_.device, at::kFloat);
  if (context.size(1) < config_.text_len) {
    // The reference pads with zeros and attends over all rows without a mask.
    padded = at::constant_pad_nd(padded, {0, 0, 0, config_.text_len - context.size(1)}, 0.0);
  }
  TextCondition c;
  c.embedded = text_out_(at::gelu(text_in_(padded), "tanh")).to(at::kFloat);
  const std::int64_t B = padded.size(0), H = config_.num_heads, D = config_.head_dim();
  auto heads = [&](const at::Tensor& t) {
    return t.to(options_.dtype).view({B, config_.text_len, H, D}).transpose(1, 2).contiguous();
  };
  for (const WanBlock& blk : blocks_) {
    c.keys.push_back(heads(rms_norm(blk.cross_attn.k(c.embedded), blk.cross_attn.norm_k, config_.eps)));
    c.values.push_back(heads(blk.cross_attn.v(c.embedded)));
  }
  return c;
}

at::Tensor WanDiT::self_attention(const SelfAttentionWeights& w, const at::Tensor& x,
                                  const RopeTable& rope) const {
  const std::int64_t B = x.size(0), L = x.size(1), H = config_.num_heads, D = config_.head_dim();
  const at::ScalarType dt = options_.dtype;
  auto heads = [&](const at::Tensor& t) { return t.view({B, L, H, D}); };
  const at::Tensor q = apply_rope(heads(rms_norm(w.q(x), w.norm_q, config_.eps)), rope, dt);
  const at::Tensor k = apply_rope(heads(rms_norm(w.k(x), w.norm_k, config_.eps)), rope, dt);
  const at::Tensor v = heads(w.v(x));
  const at::Tensor o = attend(w.state, q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2));
  return w.o(o.transpose(1, 2).reshape({B, L, H * D}));
}

at::Tensor WanDiT::cross_attention(const CrossAttentionWeights& w, const at::Tensor& x,
                                   const at::Tensor& keys, const at::Tensor& values) const {
  const std::int64_t B = x.size(0), H = config_.num_heads, D = config_.head_dim();
  const at::Tensor q = rms_norm(w.q(x), w.norm_q, config_.eps).to(options_.dtype).view({B, x.size(1), H, D});
  const at::Tensor o = softmax_attention(q.transpose(1, 2), keys, values);
  return w.o(o.transpose(1, 2).reshape({B, x.size(1), H * D}));
}

at::Tensor WanDiT::block_forward(std::size_t layer, const at::Tensor& x_in, const at::Tensor& e0,
                                 const RopeTable& rope, const at::Tensor& keys, const at::Tensor& values) const {
  const WanBlock& blk = blocks_[layer];
  const std::int64_t d = config_.dim;
  const double eps = config_.eps;
  const auto mod = (blk.modulation + e0).chunk(6, 1);  // each [B, 1, d]
  // Residual updates are single fused multiply-adds into the float32 stream.
  at::Tensor n = modulated_norm(x_in, 1 + mod[1], mod[0], eps);
  at::Tensor x = at::addcmul(x_in, self_attention(blk.self_attn, n, rope), mod[2]);
  n = at::layer_norm(x, {d}, blk.norm3_weight, blk.norm3_bias, eps);
  x = x + cross_attention(blk.cross_attn, n, keys, values);
  n = modulated_norm(x, 1 + mod[4], mod[3], eps);
  return at::addcmul(x, blk.ffn_out(at::gelu(blk.ffn_in(n), "tanh")), mod[5]);
}

at::Tensor WanDiT::forward(const at::Tensor& x_in, const at::Tensor& t,
                           const TextCondition& condition) const {
  const auto& p = config_.patch;
  if (x_in.dim() != 5 || x_in.size(1) != config_.in_dim) {
    throw Error("latent must be [batch, " + std::to_string(config_.in_dim) +
                ", frames, height, width], got " + c10::str(x_in.sizes()));
  }
  if (x_in.size(2) % p[0] || x_in.size(3) % p[1] || x_in.size(4) % p[2]) {
    throw Error("latent size " + c10::str(x_in.sizes()) + " is not divisible by the patch size");
  }
  const std::int64_t B = x_in.size(0);
  if (t.numel() != B || condition.embedded.size(0) != B ||
      condition.keys.size() != blocks_.size()) {
    throw Error("batch mismatch: latent " + std::to_string(B) + ", timesteps " +
                std::to_string(t.numel()) + ", context " + std::to_string(condition.embedded.size(0)));
  }
  const std::int64_t F = x_in.size(2) / p[0], Hp = x_in.size(3) / p[1], Wp = x_in.size(4) / p[2];
  const std::int64_t d = config_.dim;
  const double eps = config_.eps;

  at::Tensor x = at::conv3d(x_in.to(options_.device, options_.dtype), patch_weight_, patch_bias_,
                            {p[0], p[1], p[2]});
  x = x.flatten(2).transpose(1, 2).to(at::kFloat);  // [B, L, d], residual stream in float32

  at::Tensor e, e0;
  {
    // The time MLP stays float32 under autocast too, as the reference runs it.
    AutocastScope fp32(options_.device.type(), false);
    e = time_embedding(t.to(options_.device));                // [B, d]
    e0 = time_projection_(at::silu(e)).view({B, 6, d});       // [B, 6, d]
  }
  const RopeTable rope = make_rope_table(F, Hp, Wp, config_.head_dim(), options_.device);

  for (std::size_t layer = 0; layer < blocks_.size(); ++layer) {
    const at::Tensor& keys = condition.keys[layer];
    const at::Tensor& values = condition.values[layer];
    const WanBlock& blk = blocks_[layer];
    // Capturing attention inputs (calibration) would record the recomputation twice: never checkpointed.
    if (!gradient_checkpointing_ || !at::GradMode::is_enabled() || blk.self_attn.state.capture) {
      x = block_forward(layer, x, e0, rope, keys, values);
      continue;
    }
    // The block's trainable tensors (normally the attention state's W_q, W_k, r; any base weight
    // that was made trainable too) get their gradients through the checkpoint's inputs.
    std::vector<at::Tensor> params;
    for (const auto& [name, w] : block_weights(blk)) {
      if (w.defined() && w.requires_grad()) params.push_back(w);
    }
    for (const at::Tensor* w : {&blk.self_attn.state.w_q, &blk.self_attn.state.w_k, &blk.self_attn.state.mix_score}) {
      if (w->defined() && w->requires_grad()) params.push_back(*w);
    }
    // The block reads the model (this), its layer index and a copy of the RoPE table (tensors held
    // by value): all valid until the backward, which runs while the model is alive.
    x = checkpoint_block(
        [this, layer, rope](const std::vector<at::Tensor>& in) {
          return block_forward(layer, in[0], in[1], rope, in[2], in[3]);
        },
        {x, e0, keys, values}, params);
  }

  const auto head_mod = (head_modulation_ + e.unsqueeze(1)).chunk(2, 1);  // shift, scale
  const at::Tensor out = head_(modulated_norm(x, 1 + head_mod[1], head_mod[0], eps)).to(at::kFloat);
  // Unpatchify: each token's vector is (pt, ph, pw, c) with c fastest.
  const std::int64_t C = config_.out_dim;
  return out.view({B, F, Hp, Wp, p[0], p[1], p[2], C})
      .permute({0, 7, 1, 4, 2, 5, 3, 6})
      .reshape({B, C, F * p[0], Hp * p[1], Wp * p[2]});
}

}  // namespace linvideo::model
