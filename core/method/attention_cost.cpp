#include "core/method/attention_cost.h"

#include <algorithm>

#include "core/error.h"

namespace linvideo::method {

ForwardCost estimate_forward_cost(const model::DitConfig& c, const VideoSize& size, const std::vector<int>& linear,
                                  std::int64_t text_tokens, std::int64_t vae_temporal_stride,
                                  std::int64_t vae_spatial_stride) {
  if (size.frames < 1 || size.height < 1 || size.width < 1) throw Error("attention cost: video size must be positive");
  const std::int64_t lf = (size.frames - 1) / vae_temporal_stride + 1;
  const std::int64_t lh = size.height / vae_spatial_stride, lw = size.width / vae_spatial_stride;
  ForwardCost f;
  f.tokens = (lf / c.patch[0]) * (lh / c.patch[1]) * (lw / c.patch[2]);
  const double n = static_cast<double>(f.tokens), d = static_cast<double>(c.dim);
  const double hd = static_cast<double>(c.head_dim()), heads = static_cast<double>(c.num_heads);
  const double l_text = static_cast<double>(text_tokens > 0 ? text_tokens : c.text_len);
  // Softmax: S = QK^T (2 N^2 d) and O = PV (2 N^2 d).
  f.softmax_attention_flops = 4 * n * n * d;
  // Hedgehog: the maps x W for q and k (2 x 2 N hd^2 per head), the state phi(k)^T v and the
  // normaliser (2 N (2 hd) hd per head), and the output phi(q) S (2 N (2 hd) hd per head).
  f.linear_attention_flops = heads * (4 * n * hd * hd + 4 * n * hd * hd + 4 * n * hd * hd);
  // q, k, v, o of self-attention; q, o of cross-attention and its attention over the text; FFN.
  f.other_flops_per_layer = 8 * n * d * d + 4 * n * d * d + 4 * n * l_text * d + 4 * n * d * static_cast<double>(c.ffn_dim);
  const auto layers = static_cast<double>(c.num_layers);
  std::vector<int> unique = linear;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  std::int64_t linear_count = 0;
  for (int l : unique) linear_count += (l >= 1 && l <= c.num_layers) ? 1 : 0;
  f.all_softmax_flops = layers * (f.other_flops_per_layer + f.softmax_attention_flops);
  f.masked_flops = f.all_softmax_flops -
                   static_cast<double>(linear_count) * (f.softmax_attention_flops - f.linear_attention_flops);
  f.attention_share = layers * f.softmax_attention_flops / f.all_softmax_flops;
  f.predicted_speedup = f.all_softmax_flops / std::max(1.0, f.masked_flops);
  return f;
}

}  // namespace linvideo::method
