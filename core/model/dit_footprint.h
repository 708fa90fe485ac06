#pragma once
// What a loaded DiT occupies: the parameters it holds and their bytes on its device, counted from
// the weights themselves (the projections may be bf16 while norms and modulation stay fp32).
#include <cstdint>

namespace linvideo::model {

class WanDiT;

struct WeightFootprint {
  std::int64_t parameters = 0;
  std::uint64_t bytes = 0;
};

WeightFootprint weight_footprint(const WanDiT& dit);

}  // namespace linvideo::model
