#pragma once
// Reading optional typed fields of a config.json: absent or null keeps the default, a wrong type is
// a linvideo::Error naming the file and the field. Shared by every config parser.
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"

namespace linvideo {

template <typename T>
void read_json_field(const nlohmann::json& j, const char* key, T* out, const std::string& label) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  try {
    *out = it->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(label + ": config field '" + key + "' has the wrong type");
  }
}

}  // namespace linvideo
