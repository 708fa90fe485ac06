#pragma once
// What a layer mask buys: a FLOP model of one DiT forward at a video size, per layer, for softmax
// and for linear (Hedgehog) self-attention. The studio's live "predicted speed-up" and the CLI's
// scan summary use it. It counts arithmetic only; measured times live in `linvideo bench`.
#include <cstdint>
#include <vector>

#include "core/model/dit_config.h"

namespace linvideo::method {

struct VideoSize {
  std::int64_t frames = 81, height = 480, width = 832;
};

struct ForwardCost {
  std::int64_t tokens = 0;                 // self-attention sequence length
  double softmax_attention_flops = 0;      // one layer's softmax attention core (QK^T and PV)
  double linear_attention_flops = 0;       // one layer's linear attention (maps, state, output)
  double other_flops_per_layer = 0;        // projections, cross-attention and FFN of one layer
  double all_softmax_flops = 0;            // the whole forward, every layer softmax
  double masked_flops = 0;                 // the whole forward with the mask
  double attention_share = 0;              // softmax attention's share of the all-softmax forward
  double predicted_speedup = 1;            // all_softmax_flops / masked_flops
};

// `vae_stride` = {temporal, spatial} of the VAE (Wan: 4, 8). `linear` holds 1-based layers.
ForwardCost estimate_forward_cost(const model::DitConfig& config, const VideoSize& size,
                                  const std::vector<int>& linear, std::int64_t text_tokens = -1,
                                  std::int64_t vae_temporal_stride = 4, std::int64_t vae_spatial_stride = 8);

}  // namespace linvideo::method
