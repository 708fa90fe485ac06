#include "core/model/dit_footprint.h"

#include "core/model/wan_dit.h"

namespace linvideo::model {

WeightFootprint weight_footprint(const WanDiT& dit) {
  WeightFootprint footprint;
  for (const auto& [name, weight] : dit.named_weights()) {
    if (!weight.defined()) continue;
    footprint.parameters += weight.numel();
    footprint.bytes += static_cast<std::uint64_t>(weight.nbytes());
  }
  return footprint;
}

}  // namespace linvideo::model
