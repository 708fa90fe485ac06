#include "core/text/umt5_encoder.h"

#include <ATen/ATen.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"
#include "core/model/norms.h"
#include "core/io/checkpoint.h"
#include "core/text/umt5_keys.h"

namespace linvideo::text {
namespace {

using model::rms_norm;

// Fetches weights by internal name from a checkpoint, checks shape and type, and places them.
class WeightFetcher {
 public:
  WeightFetcher(const io::Checkpoint& c, const UMT5KeyMap& k, const TextLoadOptions& o)
      : ckpt_(c), keys_(k), opts_(o) {}

  at::Tensor get(const std::string& internal, at::IntArrayRef shape, bool keep_fp32 = false) const {
    const std::string stored = keys_.to_stored(internal);
    if (!ckpt_.contains(stored)) throw Error(ckpt_.source() + ": missing tensor '" + stored + "'");
    const at::Tensor t = ckpt_.tensor(stored);
    if (t.sizes() != shape) {
      throw Error(ckpt_.file_of(stored) + ": tensor '" + stored + "' has shape " + c10::str(t.sizes()) +
                  ", expected " + c10::str(shape));
    }
    if (!at::isFloatingType(t.scalar_type())) {
      throw Error(ckpt_.file_of(stored) + ": tensor '" + stored + "' is not floating point");
    }
    return t.to(opts_.device, keep_fp32 ? at::kFloat : opts_.dtype).contiguous();
  }

 private:
  const io::Checkpoint& ckpt_;
  const UMT5KeyMap& keys_;
  const TextLoadOptions& opts_;
};

}  // namespace

at::Tensor relative_position_buckets(std::int64_t query_len, std::int64_t key_len,
                                     std::int64_t num_buckets, std::int64_t max_distance,
                                     at::Device device) {
  const auto longs = at::TensorOptions().dtype(at::kLong).device(device);
  const at::Tensor relative = at::arange(key_len, longs).unsqueeze(0) - at::arange(query_len, longs).unsqueeze(1);
  const std::int64_t half = num_buckets / 2;
  const std::int64_t max_exact = half / 2;
  const at::Tensor direction = relative.gt(0).to(at::kLong) * half;
  const at::Tensor distance = relative.abs();
  // Same float32 arithmetic as both references, so the truncation lands in the same bucket.
  // clamp_min(1) only keeps log() finite where the exact branch is taken anyway.
  const at::Tensor log_ratio = at::log(distance.clamp_min(1).to(at::kFloat) / static_cast<double>(max_exact)) /
                               std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact));
  const at::Tensor large =
      (max_exact + (log_ratio * static_cast<double>(half - max_exact)).to(at::kLong)).clamp_max(half - 1);
  return direction + at::where(distance.lt(max_exact), distance, large);
}

std::unique_ptr<UMT5Encoder> UMT5Encoder::load(const io::Checkpoint& checkpoint, const UMT5Config& config,
                                               const TextLoadOptions& options) {
  return load(checkpoint, detect_umt5_layout(checkpoint.keys(), checkpoint.source()), config, options);
}

std::unique_ptr<UMT5Encoder> UMT5Encoder::load(const io::Checkpoint& checkpoint, const TextLoadOptions& options) {
  const UMT5KeyMap keys = detect_umt5_layout(checkpoint.keys(), checkpoint.source());
  return load(checkpoint, keys, detect_umt5_config(checkpoint, keys), options);
}

std::unique_ptr<UMT5Encoder> UMT5Encoder::load(const io::Checkpoint& checkpoint, const UMT5KeyMap& keys,
                                               const UMT5Config& config, const TextLoadOptions& options) {
  if (options.dtype != at::kFloat && options.dtype != at::kBFloat16) {
    throw Error("umT5 encoder dtype must be float32 or bfloat16");
  }
  config.validate(checkpoint.source());
  const WeightFetcher w(checkpoint, keys, options);
  std::unique_ptr<UMT5Encoder> m(new UMT5Encoder());
  m->config_ = config;
  m->options_ = options;
  const std::int64_t d = config.d_model;
  const std::int64_t inner = config.inner_dim();
  m->token_embedding_ = w.get("token_embedding.weight", {config.vocab_size, d});
  for (std::int64_t i = 0; i < config.num_layers; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    UMT5Block blk;
    blk.norm1 = w.get(b + "norm1.weight", {d}, /*keep_fp32=*/true);
    blk.q = w.get(b + "attn.q.weight", {inner, d});
    blk.k = w.get(b + "attn.k.weight", {inner, d});
    blk.v = w.get(b + "attn.v.weight", {inner, d});
    blk.o = w.get(b + "attn.o.weight", {d, inner});
    blk.position_bias = w.get(b + "pos_embedding.embedding.weight", {config.num_buckets, config.num_heads}, true);
    blk.norm2 = w.get(b + "norm2.weight", {d}, true);
    blk.ffn_gate = w.get(b + "ffn.gate.0.weight", {config.d_ff, d});
    blk.ffn_linear = w.get(b + "ffn.fc1.weight", {config.d_ff, d});
    blk.ffn_out = w.get(b + "ffn.fc2.weight", {d, config.d_ff});
    m->blocks_.push_back(std::move(blk));
  }
  m->final_norm_ = w.get("norm.weight", {d}, true);
  return m;
}

at::Tensor UMT5Encoder::attention(const UMT5Block& blk, const at::Tensor& x, const at::Tensor& buckets,
                                  const at::Tensor& padding_bias) const {
  const std::int64_t batch = x.size(0), len = x.size(1);
  const std::int64_t heads = config_.num_heads, head_dim = config_.d_kv;
  const at::Tensor h = rms_norm(x, blk.norm1, config_.eps).to(options_.dtype);
  auto split_heads = [&](const at::Tensor& t) { return t.view({batch, len, heads, head_dim}).transpose(1, 2); };
  const at::Tensor q = split_heads(at::linear(h, blk.q));
  const at::Tensor k = split_heads(at::linear(h, blk.k));
  const at::Tensor v = split_heads(at::linear(h, blk.v));
  // T5 does not scale by 1/sqrt(head_dim): the scale is folded into the trained weights.
  // This layer's bias [L, L, H] -> [1, H, L, L], plus the padding bias [B, 1, 1, L].
  const at::Tensor bias = at::embedding(blk.position_bias, buckets).permute({2, 0, 1}).unsqueeze(0);
  const at::Tensor scores = at::matmul(q, k.transpose(-1, -2)).to(at::kFloat) + bias + padding_bias;
  const at::Tensor probs = at::softmax(scores, -1).to(options_.dtype);
  const at::Tensor mixed = at::matmul(probs, v).transpose(1, 2).reshape({batch, len, heads * head_dim});
  return at::linear(mixed, blk.o).to(at::kFloat);
}

at::Tensor UMT5Encoder::feed_forward(const UMT5Block& blk, const at::Tensor& x) const {
  const at::Tensor h = rms_norm(x, blk.norm2, config_.eps).to(options_.dtype);
  const at::Tensor gated = at::gelu(at::linear(h, blk.ffn_gate), "tanh") * at::linear(h, blk.ffn_linear);
  return at::linear(gated, blk.ffn_out).to(at::kFloat);
}

at::Tensor UMT5Encoder::forward(const at::Tensor& input_ids, const at::Tensor& attention_mask) const {
  if (input_ids.dim() != 2 || !at::isIntegralType(input_ids.scalar_type(), /*includeBool=*/false)) {
    throw Error("umT5 input_ids must be an integer [batch, length] tensor, got " +
                std::string(c10::toString(input_ids.scalar_type())) + " " + c10::str(input_ids.sizes()));
  }
  if (attention_mask.sizes() != input_ids.sizes()) {
    throw Error("umT5 attention_mask must have the shape of input_ids " + c10::str(input_ids.sizes()) +
                ", got " + c10::str(attention_mask.sizes()));
  }
  const at::Device device = options_.device;
  const at::Tensor ids = input_ids.to(device, at::kLong);
  if (ids.device().is_cpu() && ids.numel() > 0) {
    // Out-of-range ids would abort inside the embedding; on the CPU checking costs no device sync.
    const std::int64_t low = ids.min().item<std::int64_t>(), high = ids.max().item<std::int64_t>();
    if (low < 0 || high >= config_.vocab_size) {
      throw Error("umT5 input_ids hold token id " + std::to_string(low < 0 ? low : high) +
                  " outside the vocabulary of " + std::to_string(config_.vocab_size));
    }
  }
  const std::int64_t len = ids.size(1);
  // Masked keys get the most negative float, as transformers does, rather than -inf: a row whose
  // keys are all padding then stays finite instead of turning into NaN.
  const at::Tensor padding_bias =
      (1 - attention_mask.to(device, at::kFloat)).mul(std::numeric_limits<float>::lowest()).view({ids.size(0), 1, 1, len});
  const at::Tensor buckets = relative_position_buckets(len, len, config_.num_buckets, config_.max_distance, device);

  at::Tensor x = at::embedding(token_embedding_, ids).to(at::kFloat);
  for (const auto& blk : blocks_) {
    x = x + attention(blk, x, buckets, padding_bias);
    x = x + feed_forward(blk, x);
  }
  return rms_norm(x, final_norm_, config_.eps);
}

namespace {

void check_lengths(const at::Tensor& hidden, const std::vector<std::int64_t>& lengths) {
  if (hidden.dim() != 3 || hidden.size(0) != static_cast<std::int64_t>(lengths.size())) {
    throw Error("text lengths: hidden states " + c10::str(hidden.sizes()) + " do not match " +
                std::to_string(lengths.size()) + " lengths");
  }
  for (std::size_t b = 0; b < lengths.size(); ++b) {
    if (lengths[b] < 0 || lengths[b] > hidden.size(1)) {
      throw Error("text lengths: length " + std::to_string(lengths[b]) + " of prompt " + std::to_string(b) +
                  " is outside 0.." + std::to_string(hidden.size(1)));
    }
  }
}

}  // namespace

std::vector<at::Tensor> trim_to_lengths(const at::Tensor& hidden, const std::vector<std::int64_t>& lengths) {
  check_lengths(hidden, lengths);
  std::vector<at::Tensor> out;
  for (std::size_t b = 0; b < lengths.size(); ++b) {
    out.push_back(hidden[static_cast<std::int64_t>(b)].narrow(0, 0, lengths[b]));
  }
  return out;
}

at::Tensor trim_and_zero_pad(const at::Tensor& hidden, const std::vector<std::int64_t>& lengths) {
  check_lengths(hidden, lengths);
  std::int64_t longest = 0;
  for (const std::int64_t n : lengths) longest = std::max(longest, n);
  const at::Tensor length = at::tensor(lengths, at::TensorOptions().dtype(at::kLong)).to(hidden.device());
  const at::Tensor padding =
      at::arange(longest, at::TensorOptions().dtype(at::kLong).device(hidden.device())).unsqueeze(0) >=
      length.unsqueeze(1);
  return hidden.narrow(1, 0, longest).masked_fill(padding.unsqueeze(-1), 0);
}

}  // namespace linvideo::text
