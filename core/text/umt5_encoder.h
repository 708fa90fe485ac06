#pragma once
// The umT5 text encoder of Wan2.1 (Wan's `T5Encoder`, transformers `UMT5EncoderModel`): prompt
// token ids to the [B, L, d_model] context the DiT cross-attends to.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/text/umt5_config.h"

namespace linvideo::io {
class Checkpoint;
}  // namespace linvideo::io

namespace linvideo::text {

struct UMT5KeyMap;

struct TextLoadOptions {
  at::Device device = at::kCPU;
  // Dtype of the embedding and the projections (float32 or bfloat16; Wan runs bf16). Norms, the
  // relative position biases, the softmax and the residual stream always stay float32.
  at::ScalarType dtype = at::kFloat;
};

struct UMT5Block {
  at::Tensor norm1, norm2;                   // [d_model], float32
  at::Tensor q, k, v, o;                     // [inner, d_model] x3, [d_model, inner]
  at::Tensor position_bias;                  // [buckets, heads], float32: this layer's own table
  at::Tensor ffn_gate, ffn_linear, ffn_out;  // wi_0 (GELU branch), wi_1, wo
};

class UMT5Encoder {
 public:
  // Detects the key layout from the checkpoint; every weight is shape-checked against `config`. A
  // missing or mis-shaped tensor is an Error naming the stored key and its file.
  static std::unique_ptr<UMT5Encoder> load(const io::Checkpoint& checkpoint, const UMT5Config& config,
                                           const TextLoadOptions& options = {});
  // Same with an explicit layout.
  static std::unique_ptr<UMT5Encoder> load(const io::Checkpoint& checkpoint, const UMT5KeyMap& keys,
                                           const UMT5Config& config, const TextLoadOptions& options = {});
  // Layout and config both detected (see detect_umt5_config).
  static std::unique_ptr<UMT5Encoder> load(const io::Checkpoint& checkpoint,
                                           const TextLoadOptions& options = {});

  const UMT5Config& config() const { return config_; }
  const TextLoadOptions& options() const { return options_; }

  // input_ids: [B, L] integer token ids; attention_mask: [B, L] with 1 for tokens and 0 for padding
  // (padded keys are masked out; padded query rows are computed but meaningless).
  // Returns the last hidden state [B, L, d_model] in float32 on the options' device.
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& attention_mask) const;

 private:
  UMT5Encoder() = default;
  at::Tensor attention(const UMT5Block& block, const at::Tensor& x, const at::Tensor& buckets,
                       const at::Tensor& padding_bias) const;
  at::Tensor feed_forward(const UMT5Block& block, const at::Tensor& x) const;

  UMT5Config config_;
  TextLoadOptions options_;
  at::Tensor token_embedding_;  // [vocab, d_model]
  std::vector<UMT5Block> blocks_;
  at::Tensor final_norm_;  // [d_model], float32
};

// T5 bidirectional relative position buckets [query_len, key_len] (int64) for positions 0..len-1:
// half the buckets per direction (keys right of the query offset by num_buckets / 2), distances
// below num_buckets / 4 exact, larger ones logarithmic up to max_distance, then clipped.
at::Tensor relative_position_buckets(std::int64_t query_len, std::int64_t key_len,
                                     std::int64_t num_buckets, std::int64_t max_distance,
                                     at::Device device = at::kCPU);

// Wan keeps only the real tokens of each prompt (including EOS): row b of `hidden` [B, L, d] cut to
// lengths[b] -> [lengths[b], d]. The DiT zero-pads the context back to text_len itself.
std::vector<at::Tensor> trim_to_lengths(const at::Tensor& hidden, const std::vector<std::int64_t>& lengths);

// The same as one batch tensor for WanDiT: [B, max(lengths), d] with the rows at or past each
// prompt's length set to zero, which is exactly what trimming and re-padding produce.
at::Tensor trim_and_zero_pad(const at::Tensor& hidden, const std::vector<std::int64_t>& lengths);

}  // namespace linvideo::text
