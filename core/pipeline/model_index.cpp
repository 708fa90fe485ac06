#include "core/pipeline/model_index.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_fields.h"

namespace linvideo::pipeline {

ModelIndex parse_model_index(const std::string& text, const std::string& label) {
  const nlohmann::json j = parse_json_object(text, label);
  ModelIndex m;
  m.world = read_json_string(j, "linvideo_model", "", label, 256);
  const auto d = j.find("defaults");
  if (d == j.end() || d->is_null()) return m;
  const std::string where = label + ": defaults";
  if (!d->is_object()) throw Error(where + " must be a JSON object (got " + std::string(d->type_name()) + ")");
  const auto has = [&](const char* key) { return d->contains(key) && !(*d)[key].is_null(); };
  // Ranges: what a DiT of any released size can sample (issue 18: every field typed and ranged).
  if (has("steps")) m.steps = require_json_int(*d, "steps", 1, 10000, where);
  if (has("frames")) m.frames = require_json_int(*d, "frames", 1, 4097, where);
  if (has("height")) m.height = require_json_int(*d, "height", 16, 8192, where);
  if (has("width")) m.width = require_json_int(*d, "width", 16, 8192, where);
  if (has("guidance")) m.guidance = read_json_number(*d, "guidance", 0.0, 100.0, 0.0, where);
  if (has("shift")) m.shift = read_json_number(*d, "shift", 1e-3, 1000.0, 1.0, where);
  if (d->contains("negative_prompt")) {
    (void)require_json_string(*d, "negative_prompt", where);  // present means a string, even an empty one
    m.negative_prompt = read_json_string(*d, "negative_prompt", "", where);
  }
  return m;
}

}  // namespace linvideo::pipeline
