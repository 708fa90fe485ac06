#pragma once
// Wan DiT hyper-parameters: parsed from a config.json (original or diffusers spelling) or detected
// from the weights themselves.
#include <array>
#include <cstdint>
#include <string>

namespace linvideo::io {
class Checkpoint;
struct DitKeyMap;
}  // namespace linvideo::io

namespace linvideo::model {

struct DitConfig {
  std::int64_t in_dim = 16;
  std::int64_t out_dim = 16;
  std::int64_t dim = 1536;
  std::int64_t ffn_dim = 8960;
  std::int64_t freq_dim = 256;
  std::int64_t text_dim = 4096;
  std::int64_t num_heads = 12;
  std::int64_t num_layers = 30;
  std::int64_t text_len = 512;
  std::array<std::int64_t, 3> patch = {1, 2, 2};
  double eps = 1e-6;
  bool qk_norm = true;
  bool cross_attn_norm = true;

  std::int64_t head_dim() const { return dim / num_heads; }
  std::int64_t parameter_count() const;  // derived from the shapes
  // "Wan2.1 T2V-1.3B", "Wan2.1 T2V-14B" or "custom".
  std::string family() const;
  std::string summary() const;  // one line
  void validate(const std::string& label) const;  // throws linvideo::Error
};

// Parses a config.json text: the original keys (dim, num_heads, ...), the diffusers keys
// (num_attention_heads, attention_head_dim, ...), or an object holding either under "original" /
// "diffusers". Missing fields keep the Wan defaults.
DitConfig parse_dit_config(const std::string& json_text, const std::string& label);
DitConfig load_dit_config(const std::string& path);

struct DetectedConfig {
  DitConfig config;
  bool heads_from_config = false;  // false: num_heads inferred (head_dim 128, as in every Wan model)
  std::string config_path;         // the config.json used, if any
};

// Reads the shapes of the weights; takes num_heads and text_len from a config.json beside the
// weights if there is one.
DetectedConfig detect_dit_config(const io::Checkpoint& checkpoint, const io::DitKeyMap& keys);

}  // namespace linvideo::model
