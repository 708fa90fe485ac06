#include "core/model/attention_scope.h"

#include <ATen/ATen.h>

#include <string>

#include "core/error.h"
#include "core/model/wan_dit.h"

namespace linvideo::model {
namespace {

at::Tensor deep_copy(const at::Tensor& t) {
  if (!t.defined()) return t;
  at::NoGradGuard no_grad;
  // A value copy on the same device and dtype; a trainable map stays trainable.
  at::Tensor c = t.detach().clone();
  if (t.requires_grad()) c.requires_grad_(true);
  return c;
}

}  // namespace

AttentionStateScope::AttentionStateScope(WanDiT& dit, Depth depth) : dit_(dit), depth_(depth) {
  saved_.reserve(static_cast<std::size_t>(dit.num_layers()));
  for (std::int64_t l = 0; l < dit.num_layers(); ++l) {
    const AttentionLayerState& s = dit.attention_state(l);
    AttentionLayerState copy;
    copy.mode = s.mode;
    copy.capture = s.capture;
    if (depth == Depth::Full) {
      copy.w_q = deep_copy(s.w_q);
      copy.w_k = deep_copy(s.w_k);
      copy.mix_score = deep_copy(s.mix_score);
    }
    saved_.push_back(std::move(copy));
  }
}

AttentionStateScope::~AttentionStateScope() {
  if (armed_) restore();
}

void AttentionStateScope::restore() {
  for (std::int64_t l = 0; l < num_layers(); ++l) {
    AttentionLayerState& s = dit_.attention_state(l);
    const AttentionLayerState& saved = saved_[static_cast<std::size_t>(l)];
    s.mode = saved.mode;
    s.capture = saved.capture;
    if (depth_ == Depth::Full) {
      // Fresh copies again, so that restoring twice (restore(), then the destructor) is exact even
      // if the code between wrote into the restored tensors.
      s.w_q = deep_copy(saved.w_q);
      s.w_k = deep_copy(saved.w_k);
      s.mix_score = deep_copy(saved.mix_score);
    }
  }
}

const AttentionLayerState& AttentionStateScope::saved(std::int64_t layer) const {
  if (layer < 0 || layer >= num_layers())
    throw Error("attention scope: layer " + std::to_string(layer) + " is out of range 0-" + std::to_string(num_layers() - 1));
  return saved_[static_cast<std::size_t>(layer)];
}

}  // namespace linvideo::model
