#pragma once
// Turning a teacher into a (partly) linear model for generation: a sidecar, and/or a hand-picked
// list of layers. One function for every front end (generate, eval, the studio).
#include <ATen/core/Tensor.h>

#include <string>
#include <utility>
#include <vector>

#include "core/pipeline/text_to_video.h"

namespace linvideo::method {

// Installs `sidecar` (if not empty; a distilled student file installs its weights too, see
// student.h), then, when `linear_layers` is not empty, makes exactly its
// layers linear and every other layer softmax. `linear_layers` is a list ("2-8,10-13", 1-based)
// or a layer-mask file (*.json, see layer_mask.h). Layers without maps get them fitted now by attention transfer on
// the trajectories of `calibration` (context, negative context) pairs. Returns a one-line summary.
std::string apply_linvideo(pipeline::TextToVideo& t2v, const std::string& sidecar, const std::string& linear_layers,
                           const pipeline::GenerationSettings& settings,
                           const std::vector<std::pair<at::Tensor, at::Tensor>>& calibration);

}  // namespace linvideo::method
