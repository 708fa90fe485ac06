#include "core/media/generation_metadata.h"

#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_fields.h"

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
      {"solver", s.solver},
      {"grid", s.grid},
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
  const std::string label = path + ": '" + kGenerationTag + "' tag";
  // A clip is a file from anywhere: every field is checked for its type and range, and an error
  // names the file and the field (a wrong type used to surface as nlohmann's own message, and a
  // huge "steps" was converted unchecked).
  const nlohmann::json blob = parse_json_object(found->second, label);
  GenerationSettings s;
  s.prompt = read_json_string(blob, "prompt", "", label);
  s.negative_prompt = read_json_string(blob, "negative_prompt", "", label);
  s.seed = read_json_int(blob, "seed", std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max(), 0, label);
  s.steps = static_cast<int>(read_json_int(blob, "steps", 0, 100000, 0, label));
  s.guidance = read_json_number(blob, "guidance", -1e6, 1e6, 0.0, label);
  s.shift = read_json_number(blob, "shift", -1e6, 1e6, 0.0, label);
  s.sampler = read_json_string(blob, "sampler", "", label, 256);
  s.solver = read_json_string(blob, "solver", "", label, 64);
  s.grid = read_json_string(blob, "grid", "", label, 64);
  if (!s.solver.empty() && s.solver != "unipc" && s.solver != "euler")
    throw Error(label + ": field 'solver' must be \"unipc\" or \"euler\" (got \"" + s.solver + "\")");
  if (!s.grid.empty() && s.grid != "wan" && s.grid != "diffusers")
    throw Error(label + ": field 'grid' must be \"wan\" or \"diffusers\" (got \"" + s.grid + "\")");
  s.model = read_json_string(blob, "model", "", label, 4096);
  s.student = read_json_string(blob, "student", "", label, 4096);
  const auto modes = blob.find("attention_modes");
  if (modes != blob.end() && !modes->is_null()) {
    if (!modes->is_array()) throw Error(label + ": field 'attention_modes' must be a list of strings");
    if (modes->size() > 4096) throw Error(label + ": field 'attention_modes' has more than 4096 layers");
    for (std::size_t i = 0; i < modes->size(); ++i) {
      const auto& m = (*modes)[i];
      if (!m.is_string() || (m != "softmax" && m != "linear" && m != "mixed"))
        throw Error(label + ": field 'attention_modes' entry " + std::to_string(i) +
                    " must be \"softmax\", \"linear\" or \"mixed\" (got " + m.dump() + ")");
      s.attention_modes.push_back(m.get<std::string>());
    }
  }
  return s;
}

}  // namespace linvideo::media
