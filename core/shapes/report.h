#pragma once
// Evaluation reports: the JSON document of `linvideo eval` (overall `total` at the top, then per
// dimension, per held-out split, per prompt and per clip) and the readable table it prints.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/shapes/evaluate.h"

namespace linvideo::shapes {

struct ClipResult {
  std::string clip;    // file name (or any label)
  std::string prompt;  // the prompt it was scored against (must parse)
  ClipScore score;
  std::optional<Fidelity> fidelity;  // when a reference clip was given
};

// {
//   "total": mean clip total, "clips": N, "dimensions": {name: mean},
//   "fidelity": {"psnr": mean, "ssim": mean}        (only when some clip has a reference)
//   "splits": {"train"|"held_out_pair"|"held_out_random": {"clips", "total", "dimensions"}},
//   "prompts": [{"prompt", "split", "clips", "total", "dimensions"}],
//   "results": [{"clip", "prompt", "split", "total", "dimensions", "background_seen",
//                "edge_width", "background_noise",
//                "objects": [{"expected", "frames_found", "colour_seen", "shape_seen",
//                             "motion_seen", "displacement": [x, y], "jerk"}], "psnr", "ssim"}]
// }
nlohmann::json report_json(const std::vector<ClipResult>& results);

// One row per clip, then the mean per split and overall; ends with a newline.
std::string report_table(const std::vector<ClipResult>& results);

}  // namespace linvideo::shapes
