#include "core/linvideo/layer_mask.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/io/atomic_write.h"
#include "core/linvideo/sidecar.h"

namespace linvideo::linvideo_method {
namespace {

bool ends_with_json(const std::string& s) {
  return s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0;
}

}  // namespace

LayerMask read_layer_mask(const std::string& text_or_file, int num_layers, const std::string& option) {
  LayerMask mask;
  mask.num_layers = num_layers;
  if (!ends_with_json(text_or_file)) {
    mask.linear = parse_layer_list(text_or_file, num_layers, option);
    return mask;
  }
  const std::string& path = text_or_file;
  const auto j = nlohmann::json::parse(io::read_text_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(path + ": not a JSON object (expected a linvideo layer mask)");
  if (!j.contains("format") || !j["format"].is_string() || j["format"].get<std::string>() != "linvideo-layer-mask") {
    throw Error(path + ": \"format\" must be \"linvideo-layer-mask\"");
  }
  const std::int64_t layers = require_json_int(j, "num_layers", 1, 1024, path);
  if (layers != num_layers) {
    throw Error(path + ": a mask for " + std::to_string(layers) + " layers, but this model has " +
                std::to_string(num_layers));
  }
  if (!j.contains("linear") || !j["linear"].is_array()) throw Error(path + ": \"linear\" must be an array of layer numbers");
  for (const auto& v : j["linear"]) {
    // Unsigned values above int64's range are refused before any conversion.
    const bool ok = v.is_number_integer() && !(v.is_number_unsigned() && v.get<std::uint64_t>() > 1024) &&
                    v.get<std::int64_t>() >= 1 && v.get<std::int64_t>() <= num_layers;
    if (!ok) throw Error(path + ": \"linear\" holds " + v.dump() + "; layers are numbered 1.." + std::to_string(num_layers));
    mask.linear.push_back(static_cast<int>(v.get<std::int64_t>()));
  }
  std::sort(mask.linear.begin(), mask.linear.end());
  mask.linear.erase(std::unique(mask.linear.begin(), mask.linear.end()), mask.linear.end());
  return mask;
}

void write_layer_mask(const std::string& path, const LayerMask& mask) {
  const nlohmann::json j = {{"format", "linvideo-layer-mask"}, {"num_layers", mask.num_layers},
                            {"linear", mask.linear}, {"layers", format_layer_list(mask.linear)}};
  io::write_text_atomically(path, j.dump(2) + "\n");
}

std::string format_layer_list(const std::vector<int>& layers) {
  std::vector<int> v = layers;
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  std::string out;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(v[i]);
    if (j > i) out += "-" + std::to_string(v[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace linvideo::linvideo_method
