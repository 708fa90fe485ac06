#include "core/text/umt5_config.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/io/checkpoint.h"
#include "core/text/umt5_keys.h"

namespace linvideo::text {
namespace {

using json = nlohmann::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open config");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

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
  // Bidirectional bucketing splits the buckets in two halves, each half in exact and log ranges.
  if (num_buckets < 4 || num_buckets % 2 != 0) bad("relative_attention_num_buckets must be even and >= 4");
  if (max_distance <= num_buckets / 4) bad("relative_attention_max_distance must exceed num_buckets / 4");
  if (!(eps > 0)) bad("layer_norm_epsilon must be positive");
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

UMT5Config load_umt5_config(const std::string& path) { return parse_umt5_config(read_file(path), path); }

UMT5Config detect_umt5_config(const io::Checkpoint& ckpt, const UMT5KeyMap& keys) {
  const std::string& label = ckpt.source();
  auto shape = [&](const std::string& internal, std::size_t rank) {
    const std::string stored = keys.to_stored(internal);
    if (!ckpt.contains(stored)) throw Error(label + ": missing tensor '" + stored + "'");
    const auto& s = ckpt.entry(stored).shape;
    if (s.size() != rank) {
      throw Error(ckpt.file_of(stored) + ": tensor '" + stored + "' is not " + std::to_string(rank) + "-D");
    }
    return s;
  };
  UMT5Config c;
  const auto embedding = shape("token_embedding.weight", 2);
  c.vocab_size = embedding[0];
  c.d_model = embedding[1];
  const auto bias = shape("blocks.0.pos_embedding.embedding.weight", 2);
  c.num_buckets = bias[0];
  c.num_heads = bias[1];
  const std::int64_t inner = shape("blocks.0.attn.q.weight", 2)[0];
  if (c.num_heads <= 0 || inner % c.num_heads != 0) {
    throw Error(label + ": attention width " + std::to_string(inner) + " is not a multiple of " +
                std::to_string(c.num_heads) + " heads (from '" +
                keys.to_stored("blocks.0.pos_embedding.embedding.weight") + "')");
  }
  c.d_kv = inner / c.num_heads;
  c.d_ff = shape("blocks.0.ffn.gate.0.weight", 2)[0];
  std::int64_t layers = 0;
  while (ckpt.contains(keys.to_stored("blocks." + std::to_string(layers) + ".attn.q.weight"))) ++layers;
  c.num_layers = layers;

  // max_distance and eps are invisible in the shapes: a umT5 config.json beside the weights (the
  // diffusers `text_encoder/` folder) supplies them. Other configs there belong to other models.
  const auto path = std::filesystem::path(ckpt.folder()) / "config.json";
  if (std::filesystem::exists(path)) {
    const std::string text = read_file(path.string());
    const json root = json::parse(text, nullptr, false);
    const std::string type = root.is_object() ? root.value("model_type", std::string()) : std::string();
    if (type == "umt5" || type == "t5") {
      const UMT5Config file = parse_umt5_config(text, path.string());
      if (file.d_model != c.d_model || file.num_layers != c.num_layers || file.d_ff != c.d_ff ||
          file.num_heads != c.num_heads || file.d_kv != c.d_kv || file.num_buckets != c.num_buckets) {
        throw Error(path.string() + ": config disagrees with the weights (" + file.summary() + " vs " +
                    c.summary() + ")");
      }
      c.max_distance = file.max_distance;
      c.eps = file.eps;
    }
  }
  c.validate(label);
  return c;
}

}  // namespace linvideo::text
