#pragma once
// A training run's progress.json: the step completed and the checkpoint folder that holds it, and
// the one kept before it as a fallback. Plain C++ and nlohmann, no LibTorch (fuzzed by
// tests/fuzz/fuzz_json_readers.cpp); the checkpoint logic is in training_state.h.
#include <cstdint>
#include <map>
#include <string>

namespace linvideo::train {

struct Progress {
  std::int64_t step = 0;  // steps completed
  std::string checkpoint;  // folder name under the run dir; empty: none yet
  std::map<std::string, std::string> info;  // free-form (losses, config), kept in progress.json
  // The checkpoint before, kept on disk as a fallback (empty: none).
  std::int64_t previous_step = 0;
  std::string previous_checkpoint;
  std::map<std::string, std::string> previous_info;
};

// Parses the text of a progress.json; `label` (the file) starts every error. Checkpoint names must
// be plain names inside the run folder.
Progress parse_progress(const std::string& text, const std::string& label);

}  // namespace linvideo::train
