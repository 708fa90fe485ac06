#include "core/text/umt5_config.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/atomic_write.h"
#include "core/json_fields.h"

namespace linvideo::text {

using json = nlohmann::json;

std::int64_t UMT5Config::parameter_count() const {
  std::int64_t block = 4 * d_model * inner_dim();  // q, k, v, o
  block += num_buckets * num_heads;                // this layer's relative position bias
  block += 2 * d_model;                            // two RMSNorms
  block += 3 * d_model * d_ff;                     // gated FFN
  return vocab_size * d_model + num_layers * block + d_model;
}

std::string UMT5Config::summary() const {
  std::ostringstream s;
  s << "umT5 encoder: d_model " << d_model << ", " << num_layers << " layers, " << num_heads
    << " heads of " << d_kv << ", d_ff " << d_ff << ", vocab " << vocab_size << ", "
    << num_buckets << " buckets up to " << max_distance;
  return s.str();
}

void UMT5Config::validate(const std::string& label) const {
  auto bad = [&](const std::string& what) { throw Error(label + ": invalid umT5 config: " + what); };
  if (vocab_size <= 0 || d_model <= 0 || d_kv <= 0 || num_heads <= 0 || d_ff <= 0) {
    bad("vocab_size, d_model, d_kv, num_heads and d_ff must be positive");
  }
  if (num_layers <= 0) bad("num_layers must be positive");
  // Bounds far above umT5-XXL (256,384 x 4,096, 24 layers, 64 heads of 64, d_ff 10,240), so that no
  // size computed from them overflows and no file asks for more than a real encoder.
  const auto at_most = [&](const char* field, std::int64_t v, std::int64_t hi) {
    if (v > hi) bad(std::string(field) + " " + std::to_string(v) + " is larger than " + std::to_string(hi));
  };
  at_most("vocab_size", vocab_size, 1 << 22);
  at_most("d_model", d_model, 1 << 16);
  at_most("d_kv", d_kv, 1 << 12);
  at_most("num_heads", num_heads, 1 << 10);
  at_most("d_ff", d_ff, 1 << 18);
  at_most("num_layers", num_layers, 1 << 10);
  at_most("relative_attention_num_buckets", num_buckets, 1 << 12);
  at_most("relative_attention_max_distance", max_distance, 1 << 24);
  // Bidirectional bucketing splits the buckets in two halves, each half in exact and log ranges.
  if (num_buckets < 4 || num_buckets % 2 != 0) bad("relative_attention_num_buckets must be even and >= 4");
  if (max_distance <= num_buckets / 4) bad("relative_attention_max_distance must exceed num_buckets / 4");
  if (!(eps > 0) || !(eps < 1)) bad("layer_norm_epsilon must be in (0, 1)");
}

UMT5Config parse_umt5_config(const std::string& json_text, const std::string& label) {
  const json root = json::parse(json_text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) throw Error(label + ": config is not a JSON object");
  UMT5Config c;
  read_json_field(root, "vocab_size", &c.vocab_size, label);
  read_json_field(root, "d_model", &c.d_model, label);
  read_json_field(root, "d_kv", &c.d_kv, label);
  read_json_field(root, "num_heads", &c.num_heads, label);
  read_json_field(root, "d_ff", &c.d_ff, label);
  read_json_field(root, "num_layers", &c.num_layers, label);
  read_json_field(root, "relative_attention_num_buckets", &c.num_buckets, label);
  read_json_field(root, "relative_attention_max_distance", &c.max_distance, label);
  read_json_field(root, "layer_norm_epsilon", &c.eps, label);
  // The encoder implements only umT5's FFN; refuse a config that asks for another one rather than
  // computing something else silently.
  std::string proj = "gated-gelu";
  read_json_field(root, "feed_forward_proj", &proj, label);
  if (proj != "gated-gelu") {
    throw Error(label + ": config field 'feed_forward_proj' is '" + proj +
                "'; only 'gated-gelu' (umT5) is supported");
  }
  c.validate(label);
  return c;
}

UMT5Config load_umt5_config(const std::string& path) { return parse_umt5_config(read_text_file(path), path); }

}  // namespace linvideo::text
