#pragma once
// Resumable training state: weights, optimiser state and the step, written so that a crash at
// any moment leaves the previous checkpoint intact. Layout of a run folder:
//   DIR/step-000123/weights.safetensors, DIR/step-000123/optimizer.pt   (complete before use)
//   DIR/progress.json  {"step": 123, "checkpoint": "step-000123", ...}     (renamed into place last)
#include <ATen/core/Tensor.h>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/train/progress_file.h"

namespace torch::optim {
class Optimizer;
}

namespace linvideo::train {

// Reads DIR/progress.json; a missing file means a fresh run (step 0).
Progress read_progress(const std::string& dir);

void save_checkpoint(const std::string& dir, std::int64_t step,
                     const std::vector<std::pair<std::string, at::Tensor>>& weights,
                     torch::optim::Optimizer& optimizer, const std::map<std::string, std::string>& info);

// Copies the saved weights into `weights` (matched by name, shapes checked) and restores the
// optimiser. When the newest checkpoint cannot be read (a truncated or corrupt file) and the one
// before it is kept, that one is loaded instead: `progress` then describes it (its step), and the
// returned note names the broken file (empty when the newest loaded). Throws linvideo::Error
// naming the file when neither loads.
std::string load_checkpoint(const std::string& dir, Progress& progress,
                            const std::vector<std::pair<std::string, at::Tensor>>& weights,
                            torch::optim::Optimizer& optimizer);

// The same with several optimisers (e.g. DMD2's generator and critic), each saved as
// optimizer-NAME.pt in the checkpoint folder.
using NamedOptimizers = std::vector<std::pair<std::string, torch::optim::Optimizer*>>;
void save_checkpoint(const std::string& dir, std::int64_t step,
                     const std::vector<std::pair<std::string, at::Tensor>>& weights,
                     const NamedOptimizers& optimizers, const std::map<std::string, std::string>& info);
std::string load_checkpoint(const std::string& dir, Progress& progress,
                            const std::vector<std::pair<std::string, at::Tensor>>& weights,
                            const NamedOptimizers& optimizers);

// The run's identity: writes DIR/config.json for a fresh run (`steps_done` 0), or checks that an
// existing one equals `config` (keys missing from an older run's file take the values of
// `older_defaults`). Throws Error naming config.json when the options differ or it is missing
// beside checkpoints.
void claim_run_config(const std::string& dir, const nlohmann::json& config, std::int64_t steps_done,
                      const nlohmann::json& older_defaults);

// metrics.jsonl of a resumed run: keeps the lines of steps <= `keep_through_step` (the ones
// after the checkpoint will be redone exactly), rewritten atomically. No file: nothing to do.
void truncate_metrics(const std::string& file, std::int64_t keep_through_step);

// Whether every defined tensor is free of NaN and inf, with one device synchronisation: the
// tensors are summed in double (a sum of large finite values must not overflow to inf).
bool all_finite(const std::vector<at::Tensor>& tensors);

}  // namespace linvideo::train
