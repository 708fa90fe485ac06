#pragma once
// Reading optional typed fields of a config.json: absent or null keeps the default, a wrong type is
// a linvideo::Error naming the file and the field. Shared by every config parser.
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"

namespace linvideo {

namespace json_detail {
template <typename T>
struct is_vector : std::false_type {};
template <typename U>
struct is_vector<std::vector<U>> : std::true_type {};

// v as T. Integers must be JSON integers within T's range: nlohmann would convert a float such as
// 1e22 with a plain cast, which is undefined behaviour (found by fuzz_dit_config).
template <typename T>
T checked_get(const nlohmann::json& v, const char* key, const std::string& label) {
  if constexpr (is_vector<T>::value) {
    if (!v.is_array()) throw Error(label + ": config field '" + key + "' must be a list (got " + v.dump() + ")");
    T out;
    for (const auto& e : v) out.push_back(checked_get<typename T::value_type>(e, key, label));
    return out;
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    const bool fits = v.is_number_unsigned()
                          ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())
                          : v.is_number_integer() && v.get<std::int64_t>() >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
                                (std::is_unsigned_v<T> || v.get<std::int64_t>() <= static_cast<std::int64_t>(std::numeric_limits<T>::max()));
    if (!fits) throw Error(label + ": config field '" + key + "' must be an integer in range (got " + v.dump() + ")");
    return v.is_number_unsigned() ? static_cast<T>(v.get<std::uint64_t>()) : static_cast<T>(v.get<std::int64_t>());
  } else {
    try {
      return v.get<T>();
    } catch (const nlohmann::json::exception&) {
      throw Error(label + ": config field '" + key + "' has the wrong type");
    }
  }
}
}  // namespace json_detail

template <typename T>
void read_json_field(const nlohmann::json& j, const char* key, T* out, const std::string& label) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  *out = json_detail::checked_get<T>(*it, key, label);
}

// A required integer field in [lo, hi]; anything else (absent, another type, a float, out of range)
// is a linvideo::Error naming the file and the field.
inline std::int64_t require_json_int(const nlohmann::json& j, const char* key, std::int64_t lo, std::int64_t hi,
                                     const std::string& label) {
  const auto it = j.find(key);
  if (it == j.end()) throw Error(label + ": field '" + key + "' is missing");
  if (!it->is_number_integer())
    throw Error(label + ": field '" + key + "' must be an integer (got " + it->dump() + ")");
  const bool in_range = it->is_number_unsigned() ? it->get<std::uint64_t>() <= static_cast<std::uint64_t>(hi) &&
                                                       static_cast<std::int64_t>(it->get<std::uint64_t>()) >= lo
                                                 : it->get<std::int64_t>() >= lo && it->get<std::int64_t>() <= hi;
  if (!in_range)
    throw Error(label + ": field '" + key + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                " (got " + it->dump() + ")");
  return it->get<std::int64_t>();
}

// An optional integer field in [lo, hi] (absent or null: `fallback`); errors as require_json_int.
inline std::int64_t read_json_int(const nlohmann::json& j, const char* key, std::int64_t lo, std::int64_t hi,
                                  std::int64_t fallback, const std::string& label) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return require_json_int(j, key, lo, hi, label);
}

// An optional finite number in [lo, hi] (absent or null: `fallback`); the error names the file
// and the field.
inline double read_json_number(const nlohmann::json& j, const char* key, double lo, double hi, double fallback,
                               const std::string& label) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number()) throw Error(label + ": field '" + key + "' must be a number (got " + it->dump() + ")");
  const double v = it->get<double>();
  if (!(v >= lo && v <= hi))
    throw Error(label + ": field '" + key + "' must be between " + nlohmann::json(lo).dump() + " and " +
                nlohmann::json(hi).dump() + " (got " + it->dump() + ")");
  return v;
}

// A required string field; the error names the file and the field.
inline std::string require_json_string(const nlohmann::json& j, const char* key, const std::string& label) {
  const auto it = j.find(key);
  if (it == j.end()) throw Error(label + ": field '" + key + "' is missing");
  if (!it->is_string()) throw Error(label + ": field '" + key + "' must be a string (got " + it->dump() + ")");
  return it->get<std::string>();
}

// Text that must be one JSON object; otherwise an error naming `label` (never nlohmann's exceptions).
inline nlohmann::json parse_json_object(const std::string& text, const std::string& label) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(label + " is not valid JSON");
  if (!j.is_object()) throw Error(label + " must be a JSON object (got " + std::string(j.type_name()) + ")");
  return j;
}

// An optional string field (absent or null: `fallback`) of at most max_bytes; the error names the
// file and the field.
inline std::string read_json_string(const nlohmann::json& j, const char* key, const std::string& fallback,
                                    const std::string& label, std::size_t max_bytes = 1 << 20) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw Error(label + ": field '" + key + "' must be a string (got " + it->dump() + ")");
  const auto& text = it->get_ref<const std::string&>();
  if (text.size() > max_bytes)
    throw Error(label + ": field '" + key + "' is longer than " + std::to_string(max_bytes) + " bytes");
  return text;
}

// A file or folder name that stays inside the folder it is read from: relative, no "..", no
// separators (progress.json and cache indexes name their neighbours; a file must not point elsewhere).
inline std::string require_plain_name(const std::string& name, const char* key, const std::string& label) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos || name.find('\0') != std::string::npos)
    throw Error(label + ": field '" + key + "' must name a file in the same folder (got \"" + name + "\")");
  return name;
}

}  // namespace linvideo
