#include "core/media/generation_metadata.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace linvideo::media {
namespace {

std::string format_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", value);
  return text;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

}  // namespace

VideoMetadata generation_metadata(const GenerationSettings& s) {
  const nlohmann::json blob = {
      {"version", 1},
      {"prompt", s.prompt},
      {"negative_prompt", s.negative_prompt},
      {"seed", s.seed},
      {"steps", s.steps},
      {"guidance", s.guidance},
      {"shift", s.shift},
      {"sampler", s.sampler},
      {"model", s.model},
      {"attention_modes", s.attention_modes},
      {"student", s.student},
  };
  VideoMetadata metadata;
  auto& tags = metadata.tags;
  tags["comment"] = s.prompt;
  tags["description"] = "seed " + std::to_string(s.seed) + ", " + std::to_string(s.steps) +
                        " steps, guidance " + format_number(s.guidance) + ", shift " +
                        format_number(s.shift) + ", " + s.sampler + ", " + s.model;
  tags["prompt"] = s.prompt;
  tags["negative_prompt"] = s.negative_prompt;
  tags["seed"] = std::to_string(s.seed);
  tags["steps"] = std::to_string(s.steps);
  tags["guidance"] = format_number(s.guidance);
  tags["shift"] = format_number(s.shift);
  tags["sampler"] = s.sampler;
  tags["model"] = s.model;
  tags["attention_modes"] = join(s.attention_modes, ",");
  if (!s.student.empty()) tags["student"] = s.student;
  // error_handler::replace: a prompt with invalid UTF-8 must not make the write fail.
  tags[kGenerationTag] = blob.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return metadata;
}

GenerationSettings generation_settings_from_metadata(const VideoMetadata& metadata,
                                                     const std::string& path) {
  const auto found = metadata.tags.find(kGenerationTag);
  if (found == metadata.tags.end()) {
    throw Error(path + ": no '" + std::string(kGenerationTag) + "' tag with generation settings");
  }
  GenerationSettings s;
  try {
    const auto blob = nlohmann::json::parse(found->second);
    s.prompt = blob.value("prompt", "");
    s.negative_prompt = blob.value("negative_prompt", "");
    s.seed = blob.value("seed", std::int64_t{0});
    s.steps = blob.value("steps", 0);
    s.guidance = blob.value("guidance", 0.0);
    s.shift = blob.value("shift", 0.0);
    s.sampler = blob.value("sampler", "");
    s.model = blob.value("model", "");
    s.attention_modes = blob.value("attention_modes", std::vector<std::string>{});
    s.student = blob.value("student", "");
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": malformed '" + std::string(kGenerationTag) + "' tag: " + e.what());
  }
  return s;
}

}  // namespace linvideo::media
