#pragma once
// umT5 encoder hyper-parameters: parsed from a transformers config.json or detected from the
// weights themselves.
#include <cstdint>
#include <string>

namespace linvideo::io {
class Checkpoint;
}  // namespace linvideo::io

namespace linvideo::text {

struct UMT5KeyMap;

// Defaults are umT5-XXL, the text encoder of every Wan2.1 model.
struct UMT5Config {
  std::int64_t vocab_size = 256384;
  std::int64_t d_model = 4096;
  std::int64_t d_kv = 64;  // head dim
  std::int64_t num_heads = 64;
  std::int64_t d_ff = 10240;
  std::int64_t num_layers = 24;
  std::int64_t num_buckets = 32;  // relative position buckets, both directions together
  std::int64_t max_distance = 128;
  double eps = 1e-6;

  std::int64_t inner_dim() const { return num_heads * d_kv; }
  std::int64_t parameter_count() const;  // derived from the shapes
  std::string summary() const;           // one line
  void validate(const std::string& label) const;  // throws linvideo::Error
};

// Parses a transformers `UMT5EncoderModel` / `T5EncoderModel` config.json text. Missing fields keep
// the umT5-XXL defaults; an activation other than gated tanh-GELU is an Error.
UMT5Config parse_umt5_config(const std::string& json_text, const std::string& label);
UMT5Config load_umt5_config(const std::string& path);

// Reads the shapes of the weights: vocab and d_model from the embedding, layers by counting, heads
// and buckets from the first bias table, d_ff from the first FFN. max_distance (not visible in the
// shapes) and eps keep their defaults unless a config.json of model_type umt5/t5 lies beside the
// weights, which must then agree with the shapes.
UMT5Config detect_umt5_config(const io::Checkpoint& checkpoint, const UMT5KeyMap& keys);

}  // namespace linvideo::text
