#pragma once
// The settings that produced a clip, stored as container tags so a file says how it was made:
// one readable tag per setting (prompt, seed, ...), the prompt again in `comment` (what players
// show), and every setting as JSON in the `linvideo` tag, which is what is read back.
#include <cstdint>
#include <string>
#include <vector>

#include "core/media/video_frames.h"

namespace linvideo::media {

struct GenerationSettings {
  std::string prompt;
  std::string negative_prompt;
  std::int64_t seed = 0;
  int steps = 0;
  double guidance = 0.0;
  double shift = 0.0;
  std::string sampler;                       // for people: "unipc (wan grid)", "euler (fixed 4-step schedule)"
  // The same, structured (issue 19: read back without parsing the text above): "unipc" or "euler",
  // and "wan" or "diffusers" ("" for a student's fixed schedule). Empty in clips made before.
  std::string solver, grid;
  std::string model;                         // e.g. "Wan2.1-T2V-1.3B"
  std::vector<std::string> attention_modes;  // per layer: "softmax", "linear" or "mixed"
  std::string student;  // the distilled few-step student file the clip was made with ("" for none)
};

// Tag key holding the JSON blob of all settings.
inline constexpr const char* kGenerationTag = "linvideo";

VideoMetadata generation_metadata(const GenerationSettings& settings);

// Reads the `linvideo` JSON tag back. Throws linvideo::Error naming `path` when it is absent or
// malformed.
GenerationSettings generation_settings_from_metadata(const VideoMetadata& metadata,
                                                     const std::string& path);

}  // namespace linvideo::media
