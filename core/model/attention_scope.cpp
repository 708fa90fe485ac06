#include "core/model/attention_scope.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

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

// Modes and hooks always; maps and r as fresh copies at Full depth, so that neither side's later
// in-place writes reach the other (restoring twice stays exact).
void copy_into(const AttentionLayerState& from, AttentionLayerState& to, AttentionStateScope::Depth depth) {
  to.mode = from.mode;
  to.capture = from.capture;
  if (depth != AttentionStateScope::Depth::Full) return;
  to.w_q = deep_copy(from.w_q);
  to.w_k = deep_copy(from.w_k);
  to.mix_score = deep_copy(from.mix_score);
}

}  // namespace

AttentionStateScope::AttentionStateScope(WanDiT& dit, Depth depth) : dit_(dit), depth_(depth) {
  saved_.resize(static_cast<std::size_t>(dit.num_layers()));
  for (std::int64_t l = 0; l < dit.num_layers(); ++l) copy_into(dit.attention_state(l), saved_[static_cast<std::size_t>(l)], depth);
}

AttentionStateScope::~AttentionStateScope() {
  if (armed_) restore();
}

void AttentionStateScope::restore() {
  for (std::int64_t l = 0; l < num_layers(); ++l) copy_into(saved_[static_cast<std::size_t>(l)], dit_.attention_state(l), depth_);
}

const AttentionLayerState& AttentionStateScope::saved(std::int64_t layer) const {
  if (layer < 0 || layer >= num_layers())
    throw Error("attention scope: layer " + std::to_string(layer) + " is out of range 0-" + std::to_string(num_layers() - 1));
  return saved_[static_cast<std::size_t>(layer)];
}

}  // namespace linvideo::model
