#pragma once
// What `linvideo inspect` and the studio's model panel show about a checkpoint.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/io/dit_dialect.h"
#include "core/model/dit_config.h"

namespace linvideo::io {

struct DTypeUsage {
  std::uint64_t tensors = 0;
  std::uint64_t parameters = 0;
  std::uint64_t bytes = 0;
};

struct CheckpointSummary {
  std::vector<std::string> files;
  std::uint64_t tensor_count = 0;
  std::uint64_t parameter_count = 0;  // elements over all tensors
  std::uint64_t stored_bytes = 0;
  std::map<std::string, DTypeUsage> dtypes;  // by safetensors dtype name
  std::map<std::string, std::string> metadata;

  // Set when the checkpoint is a Wan DiT.
  std::optional<DitKeyMap> dialect;
  std::optional<model::DetectedConfig> dit;
  std::uint64_t dit_tensor_count = 0;
  std::string not_a_dit_reason;
};

// Opens and validates every file (throws linvideo::Error on corruption), then describes it.
CheckpointSummary summarize_checkpoint(const std::string& path);

}  // namespace linvideo::io
