#pragma once
// The one way to change a DiT's attention layers for a while (issue 19): a scope that saves every
// layer's attention state (mode, feature maps, r, capture hook) and puts it back, bit for bit, when
// it ends, whether the code inside returned, threw or was cancelled.
#include <cstdint>
#include <vector>

#include "core/model/attention.h"

namespace linvideo::model {

class WanDiT;

class AttentionStateScope {
 public:
  enum class Depth {
    Full,   // modes, hooks, and deep copies of the maps and r (code inside may write in place)
    Modes,  // modes only: cheap enough for every sampling step (the teacher's all-softmax pass)
  };

  explicit AttentionStateScope(WanDiT& dit, Depth depth = Depth::Full);
  ~AttentionStateScope();  // restore(), unless keep() was called
  AttentionStateScope(const AttentionStateScope&) = delete;
  AttentionStateScope& operator=(const AttentionStateScope&) = delete;

  // Puts the saved state back now; the scope stays armed (the destructor restores again).
  void restore();
  // The state inside becomes the model's: the destructor leaves it alone.
  void keep() { armed_ = false; }
  // A layer's saved state (for code that restores only part of it, then keeps the rest).
  const AttentionLayerState& saved(std::int64_t layer) const;
  std::int64_t num_layers() const { return static_cast<std::int64_t>(saved_.size()); }

 private:
  WanDiT& dit_;
  Depth depth_;
  bool armed_ = true;
  std::vector<AttentionLayerState> saved_;
};

}  // namespace linvideo::model
