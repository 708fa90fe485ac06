#include "core/train/progress_file.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_fields.h"

namespace linvideo::train {
namespace {

// "info": string values are kept, others ignored (it is free-form); at most 1024 entries.
void read_info(const nlohmann::json& o, std::map<std::string, std::string>* info, const std::string& label) {
  const auto it = o.find("info");
  if (it == o.end() || it->is_null()) return;
  if (!it->is_object()) throw Error(label + ": field 'info' must be an object");
  if (it->size() > 1024) throw Error(label + ": field 'info' has more than 1024 entries");
  for (auto e = it->begin(); e != it->end(); ++e) {
    if (e->is_string()) (*info)[e.key()] = e->get<std::string>();
  }
}

}  // namespace

Progress parse_progress(const std::string& text, const std::string& label) {
  const nlohmann::json j = parse_json_object(text, label);
  if (!j.contains("step") || !j.contains("checkpoint")) throw Error(label + ": not a training progress file");
  Progress p;
  p.step = require_json_int(j, "step", 0, std::int64_t{1} << 40, label);
  p.checkpoint = require_plain_name(require_json_string(j, "checkpoint", label), "checkpoint", label);
  read_info(j, &p.info, label);
  const auto prev = j.find("previous");
  if (prev != j.end() && !prev->is_null()) {
    const std::string prev_label = label + ": previous";
    if (!prev->is_object()) throw Error(prev_label + " must be an object");
    p.previous_step = require_json_int(*prev, "step", 0, p.step, prev_label);
    p.previous_checkpoint =
        require_plain_name(require_json_string(*prev, "checkpoint", prev_label), "checkpoint", prev_label);
    read_info(*prev, &p.previous_info, prev_label);
  }
  return p;
}

}  // namespace linvideo::train
