#include "core/model/autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define LINVIDEO_AUTOCAST_PER_DEVICE 1
#endif

namespace linvideo::model {
namespace {

bool supported(c10::DeviceType d) { return d == c10::DeviceType::CPU || d == c10::DeviceType::CUDA; }

void set_state(c10::DeviceType d, const AutocastState& s) {
#ifdef LINVIDEO_AUTOCAST_PER_DEVICE
  at::autocast::set_autocast_enabled(d, s.enabled);
  at::autocast::set_autocast_dtype(d, s.dtype);
#else
  if (d == c10::DeviceType::CPU) {
    at::autocast::set_cpu_enabled(s.enabled);
    at::autocast::set_autocast_cpu_dtype(s.dtype);
  } else {
    at::autocast::set_enabled(s.enabled);
    at::autocast::set_autocast_gpu_dtype(s.dtype);
  }
#endif
}

}  // namespace

AutocastState autocast_state(c10::DeviceType d) {
  if (!supported(d)) return {};
#ifdef LINVIDEO_AUTOCAST_PER_DEVICE
  return {at::autocast::is_autocast_enabled(d), at::autocast::get_autocast_dtype(d)};
#else
  if (d == c10::DeviceType::CPU) return {at::autocast::is_cpu_enabled(), at::autocast::get_autocast_cpu_dtype()};
  return {at::autocast::is_enabled(), at::autocast::get_autocast_gpu_dtype()};
#endif
}

AutocastScope::AutocastScope(c10::DeviceType device, bool enabled, at::ScalarType dtype)
    : device_(device), supported_(supported(device)) {
  if (!supported_) return;
  previous_ = autocast_state(device);
  set_state(device, {enabled, enabled ? dtype : previous_.dtype});
  if (enabled) {
    at::autocast::increment_nesting();
    counted_ = true;
  }
}

AutocastScope::~AutocastScope() {
  if (!supported_) return;
  if (counted_ && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_state(device_, previous_);
}

}  // namespace linvideo::model
