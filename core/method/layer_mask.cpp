#include "core/method/layer_mask.h"

#include <algorithm>
#include <set>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/atomic_write.h"

namespace linvideo::method {
namespace {

bool ends_with_json(const std::string& s) {
  return s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0;
}

}  // namespace

LayerMask read_layer_mask(const std::string& text_or_file, int num_layers, const std::string& option) {
  if (ends_with_json(text_or_file)) return parse_layer_mask(read_text_file(text_or_file), num_layers, text_or_file);
  return {num_layers, parse_layer_list(text_or_file, num_layers, option)};
}

LayerMask parse_layer_mask(const std::string& json_text, int num_layers, const std::string& path) {
  LayerMask mask;
  mask.num_layers = num_layers;
  const auto j = nlohmann::json::parse(json_text, nullptr, false);
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

std::vector<int> parse_layer_list(const std::string& text, int num_layers, const std::string& option) {
  std::set<int> out;
  std::size_t pos = 0;
  auto bad = [&](const std::string& why) -> Error {
    return Error(option + " '" + text + "': " + why + " (layers 1.." + std::to_string(num_layers) + ", e.g. 2-8,10-13)");
  };
  while (pos < text.size()) {
    const std::size_t comma = text.find(',', pos);
    const std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? text.size() : comma + 1;
    if (part.empty()) continue;
    // Digits only ("2", "2-8", spaces around them allowed): no signs or trailing text, at most 7 digits.
    const auto number = [&](std::string digits, int* out) {
      const std::size_t first = digits.find_first_not_of(' '), last = digits.find_last_not_of(' ');
      digits = first == std::string::npos ? std::string() : digits.substr(first, last - first + 1);
      if (digits.empty() || digits.size() > 7 || digits.find_first_not_of("0123456789") != std::string::npos) return false;
      *out = std::stoi(digits);
      return true;
    };
    const std::size_t dash = part.find('-');
    int lo = 0, hi = 0;
    const bool ok = number(part.substr(0, dash), &lo) &&
                    (dash == std::string::npos ? (hi = lo, true) : number(part.substr(dash + 1), &hi));
    if (!ok) throw bad("'" + part + "' is not a number or range");
    if (lo < 1 || hi > num_layers || lo > hi) throw bad("'" + part + "' is out of range");
    for (int l = lo; l <= hi; ++l) out.insert(l);
  }
  if (out.empty()) throw bad("no layers");
  return {out.begin(), out.end()};
}

void write_layer_mask(const std::string& path, const LayerMask& mask) {
  const nlohmann::json j = {{"format", "linvideo-layer-mask"}, {"num_layers", mask.num_layers},
                            {"linear", mask.linear}, {"layers", format_layer_list(mask.linear)}};
  write_text_atomically(path, j.dump(2) + "\n");
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

}  // namespace linvideo::method
