#include "core/method/cache_index.h"

#include <cstdio>
#include <set>

#include "core/error.h"
#include "core/json_fields.h"

namespace linvideo::method {

nlohmann::json empty_cache_index() {
  return nlohmann::json{{"format", "linvideo-trajectory-cache"}, {"version", 1}, {"shards", nlohmann::json::array()}};
}

CacheIndex parse_cache_index(const std::string& text, const std::string& label) {
  CacheIndex out;
  out.json = parse_json_object(text, label);
  const nlohmann::json& j = out.json;
  const auto shards = j.find("shards");
  if (shards == j.end()) throw Error(label + ": not a trajectory-cache index (no 'shards')");
  if (!shards->is_array()) throw Error(label + ": field 'shards' must be an array");
  if (shards->size() > 10'000'000) throw Error(label + ": field 'shards' lists more than 10^7 shards");
  const auto settings = j.find("settings");
  if (settings != j.end() && !settings->is_null()) {
    const std::string where = label + ": settings";
    if (!settings->is_object()) throw Error(where + " must be an object");
    out.has_settings = true;
    out.guidance = read_json_number(*settings, "guidance", 0.0, 100.0, 1.0, where);
    out.steps = read_json_int(*settings, "steps", 0, 10000, 0, where);
  }
  std::set<std::int64_t> jobs;
  for (std::size_t i = 0; i < shards->size(); ++i) {
    const nlohmann::json& e = (*shards)[i];
    const std::string where = label + ": shards[" + std::to_string(i) + "]";
    if (!e.is_object()) throw Error(where + " is not an object");
    CacheShardEntry s;
    s.job = require_json_int(e, "job", 0, std::int64_t{1} << 40, where);
    if (!jobs.insert(s.job).second) throw Error(where + ": job " + std::to_string(s.job) + " is listed twice");
    s.file = require_plain_name(require_json_string(e, "file", where), "file", where);
    s.prompt = read_json_string(e, "prompt", "", where);
    s.states = read_json_int(e, "states", 0, std::int64_t{1} << 31, 0, where);
    s.bytes = read_json_int(e, "bytes", 0, std::int64_t{1} << 50, 0, where);
    out.shards.push_back(std::move(s));
  }
  out.digest = cache_index_digest(j);
  return out;
}

std::string cache_index_digest(const nlohmann::json& index) {
  const auto settings = index.find("settings");
  const auto shards = index.find("shards");
  const std::string text = nlohmann::json{{"settings", settings != index.end() ? *settings : nlohmann::json()},
                                          {"shards", shards != index.end() ? *shards : nlohmann::json()}}
                               .dump();
  std::uint64_t h = 1469598103934665603ull;
  for (const unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace linvideo::method
