#pragma once
// Automatic mixed precision (autocast) for one device type, as a scope: the trainer's bf16 autocast
// with fp32 master weights, the linear-attention branch's fp32 island inside it, and gradient
// checkpointing's recompute (which must run under the autocast state of the original forward).
// One API over LibTorch's two: per-device (set_autocast_enabled(device, on), >= 2.4) and the older
// CPU/CUDA-specific functions (set_cpu_enabled / set_enabled, 1.13).
#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

namespace linvideo::model {

struct AutocastState {
  bool enabled = false;
  at::ScalarType dtype = at::kBFloat16;
};

// Autocast is supported here for CPU and CUDA; other device types report disabled.
AutocastState autocast_state(c10::DeviceType device);

// Sets autocast for `device` on this thread and restores the previous state on exit. Entering an
// enabled scope counts as one level of autocast nesting; leaving the outermost one clears the
// cast cache, as torch.autocast does.
class AutocastScope {
 public:
  AutocastScope(c10::DeviceType device, bool enabled, at::ScalarType dtype = at::kBFloat16);
  AutocastScope(c10::DeviceType device, const AutocastState& state)
      : AutocastScope(device, state.enabled, state.dtype) {}
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  c10::DeviceType device_;
  AutocastState previous_;
  bool counted_ = false;
  bool supported_ = false;
};

}  // namespace linvideo::model
