#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/atomic_write.h"
#include "core/io/checkpoint.h"
#include "core/text/umt5_config.h"
#include "core/text/umt5_keys.h"

namespace linvideo::text {

using json = nlohmann::json;

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
    const std::string text = read_text_file(path.string());
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
