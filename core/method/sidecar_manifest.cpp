#include "core/method/sidecar_manifest.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_fields.h"

namespace linvideo::method {

std::vector<SidecarLayerEntry> parse_sidecar_manifest(const std::string& text, const std::string& label) {
  const nlohmann::json manifest = parse_json_object(text, label + ": sidecar manifest");
  const auto layers = manifest.find("layers");
  if (layers == manifest.end()) throw Error(label + ": sidecar manifest has no field 'layers'");
  if (!layers->is_array()) throw Error(label + ": sidecar manifest field 'layers' must be an array");
  if (layers->size() > 4096) throw Error(label + ": sidecar manifest lists more than 4096 layers");
  std::vector<SidecarLayerEntry> out;
  for (std::size_t l = 0; l < layers->size(); ++l) {
    const nlohmann::json& entry = (*layers)[l];
    const std::string where = label + ": sidecar layer " + std::to_string(l + 1);
    if (!entry.is_object()) throw Error(where + " is not an object");
    SidecarLayerEntry e;
    const auto maps = entry.find("has_maps");
    if (maps != entry.end() && !maps->is_null()) {
      if (!maps->is_boolean()) throw Error(where + ": field 'has_maps' must be true or false");
      e.has_maps = maps->get<bool>();
    }
    e.mode = read_json_string(entry, "mode", "softmax", where, 16);
    if (e.mode != "softmax" && e.mode != "linear" && e.mode != "mixed") {
      throw Error(where + ": unknown attention mode '" + e.mode + "'");
    }
    if (e.mode != "softmax" && !e.has_maps) throw Error(where + " is " + e.mode + " but has no maps");
    auto score = [&](const char* key, double hi) -> std::optional<double> {
      const auto it = entry.find(key);
      if (it == entry.end() || it->is_null()) return std::nullopt;
      return read_json_number(entry, key, 0.0, hi, 0.0, where);
    };
    e.r_trained = score("r_trained", 1.0);
    e.transfer_error = score("transfer_error", 1e6);
    e.sensitivity = score("sensitivity", 1e6);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace linvideo::method
