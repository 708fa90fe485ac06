#include "core/model/dit_config.h"
// Plain C++ and nlohmann only (no LibTorch), so that the config parser can be fuzzed on its own;
// detecting a config from a checkpoint's shapes is in dit_config_detect.cpp.

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/json_fields.h"

namespace linvideo::model {
namespace {

using json = nlohmann::json;

}  // namespace

std::int64_t DitConfig::parameter_count() const {
  const std::int64_t d = dim;
  const std::int64_t patch_numel = patch[0] * patch[1] * patch[2];
  std::int64_t n = 0;
  n += d * in_dim * patch_numel + d;                 // patch embedding
  n += d * text_dim + d + d * d + d;                 // text MLP
  n += d * freq_dim + d + d * d + d;                 // time MLP
  n += 6 * d * d + 6 * d;                            // time projection
  std::int64_t block = 6 * d;                        // modulation
  block += 4 * (d * d + d) + 2 * d;                  // self-attention + q/k norms
  block += 4 * (d * d + d) + 2 * d;                  // cross-attention + q/k norms
  block += 2 * d;                                    // affine cross-attention norm
  block += d * ffn_dim + ffn_dim + ffn_dim * d + d;  // FFN
  n += num_layers * block;
  n += 2 * d + out_dim * patch_numel * d + out_dim * patch_numel;  // head
  return n;
}

std::string DitConfig::family() const {
  if (dim == 1536 && num_layers == 30 && ffn_dim == 8960) return "Wan2.1 T2V-1.3B";
  if (dim == 5120 && num_layers == 40 && ffn_dim == 13824) return "Wan2.1 T2V-14B";
  return "custom";
}

std::string DitConfig::summary() const {
  std::ostringstream s;
  s << family() << ": dim " << dim << ", " << num_layers << " layers, " << num_heads << " heads of "
    << head_dim() << ", ffn " << ffn_dim << ", in/out " << in_dim << "/" << out_dim << ", text "
    << text_dim << "x" << text_len << ", patch " << patch[0] << "x" << patch[1] << "x" << patch[2];
  return s.str();
}

void DitConfig::validate(const std::string& label) const {
  auto bad = [&](const std::string& what) { throw Error(label + ": invalid DiT config: " + what); };
  if (dim <= 0 || num_heads <= 0 || dim % num_heads != 0) bad("dim must be a positive multiple of num_heads");
  if (head_dim() % 2 != 0) bad("head dim must be even for RoPE");
  if (head_dim() < 6) bad("head dim must be at least 6 for 3-D RoPE");
  if (num_layers <= 0 || ffn_dim <= 0 || in_dim <= 0 || out_dim <= 0 || text_dim <= 0) bad("sizes must be positive");
  if (freq_dim <= 0 || freq_dim % 2 != 0) bad("freq_dim must be positive and even");
  if (text_len <= 0) bad("text_len must be positive");
  for (auto p : patch) {
    if (p <= 0) bad("patch sizes must be positive");
  }
  // Upper bounds far above every released model, so that a hostile config cannot ask for
  // unbounded memory (a text_len of 2e7 allocated 872 MB before failing; issue 18).
  auto at_most = [&](const char* field, std::int64_t v, std::int64_t hi) {
    if (v > hi) bad(std::string(field) + " must be at most " + std::to_string(hi) + " (got " + std::to_string(v) + ")");
  };
  at_most("dim", dim, 65536);
  at_most("num_heads", num_heads, 1024);
  at_most("num_layers", num_layers, 1024);
  at_most("ffn_dim", ffn_dim, 1 << 20);
  at_most("in_dim", in_dim, 1024);
  at_most("out_dim", out_dim, 1024);
  at_most("text_dim", text_dim, 65536);
  at_most("freq_dim", freq_dim, 65536);
  at_most("text_len", text_len, 4096);
  for (auto p : patch) at_most("patch size", p, 64);
  if (!qk_norm || !cross_attn_norm) bad("only qk_norm = cross_attn_norm = true (all Wan2.1 T2V models) is supported");
}

DitConfig parse_dit_config(const std::string& json_text, const std::string& label) {
  json root = json::parse(json_text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) throw Error(label + ": config is not a JSON object");
  if (!root.contains("dim") && !root.contains("num_attention_heads")) {
    if (root.contains("original") && root["original"].is_object()) {
      root = root["original"];
    } else if (root.contains("diffusers") && root["diffusers"].is_object()) {
      root = root["diffusers"];
    }
  }
  DitConfig c;
  if (root.contains("num_attention_heads")) {  // diffusers spelling
    std::int64_t head_dim = 128;
    read_json_field(root, "num_attention_heads", &c.num_heads, label);
    read_json_field(root, "attention_head_dim", &head_dim, label);
    if (c.num_heads <= 0 || c.num_heads > 1024 || head_dim <= 0 || head_dim > 4096)
      throw Error(label + ": invalid DiT config: num_attention_heads (1..1024) or attention_head_dim (1..4096) out of range");
    c.dim = c.num_heads * head_dim;
    read_json_field(root, "in_channels", &c.in_dim, label);
    read_json_field(root, "out_channels", &c.out_dim, label);
    std::string qk = "rms_norm_across_heads";
    read_json_field(root, "qk_norm", &qk, label);
    c.qk_norm = qk == "rms_norm_across_heads";
  } else {
    read_json_field(root, "dim", &c.dim, label);
    read_json_field(root, "num_heads", &c.num_heads, label);
    read_json_field(root, "in_dim", &c.in_dim, label);
    read_json_field(root, "out_dim", &c.out_dim, label);
    read_json_field(root, "qk_norm", &c.qk_norm, label);
  }
  read_json_field(root, "ffn_dim", &c.ffn_dim, label);
  read_json_field(root, "freq_dim", &c.freq_dim, label);
  read_json_field(root, "text_dim", &c.text_dim, label);
  read_json_field(root, "num_layers", &c.num_layers, label);
  read_json_field(root, "text_len", &c.text_len, label);
  read_json_field(root, "eps", &c.eps, label);
  read_json_field(root, "cross_attn_norm", &c.cross_attn_norm, label);
  std::vector<std::int64_t> patch;
  read_json_field(root, "patch_size", &patch, label);
  if (!patch.empty()) {
    if (patch.size() != 3) throw Error(label + ": config field 'patch_size' must have 3 entries");
    c.patch = {patch[0], patch[1], patch[2]};
  }
  c.validate(label);
  return c;
}

DitConfig load_dit_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open config");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_dit_config(buffer.str(), path);
}

}  // namespace linvideo::model
