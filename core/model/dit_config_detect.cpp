// A DiT config from a checkpoint's tensor shapes, and a config.json beside it (the LibTorch half of
// dit_config).
#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/dit_dialect.h"
#include "core/model/dit_config.h"

namespace linvideo::model {

DetectedConfig detect_dit_config(const io::Checkpoint& ckpt, const io::DitKeyMap& keys) {
  const std::string& label = ckpt.source();
  auto shape = [&](const std::string& internal) {
    const std::string stored = keys.to_stored(internal);
    if (!ckpt.contains(stored)) throw Error(label + ": missing tensor '" + stored + "'");
    return ckpt.entry(stored).shape;
  };
  // Dimension i of a tensor that must have `rank` dimensions, each positive; errors name the tensor.
  auto dim = [&](const std::string& internal, std::size_t rank, std::size_t i) {
    const auto s = shape(internal);
    const std::string stored = keys.to_stored(internal);
    if (s.size() != rank)
      throw Error(label + ": tensor '" + stored + "' has " + std::to_string(s.size()) + " dimensions, expected " +
                  std::to_string(rank));
    for (const auto d : s)
      if (d <= 0) throw Error(label + ": tensor '" + stored + "' has an empty dimension");
    return s[i];
  };
  DetectedConfig out;
  DitConfig& c = out.config;
  c.dim = dim("patch_embedding.weight", 5, 0);
  c.in_dim = dim("patch_embedding.weight", 5, 1);
  c.patch = {dim("patch_embedding.weight", 5, 2), dim("patch_embedding.weight", 5, 3), dim("patch_embedding.weight", 5, 4)};
  for (const auto p : c.patch)
    if (p > 64)
      throw Error(label + ": tensor '" + keys.to_stored("patch_embedding.weight") + "' has a patch size over 64");
  c.text_dim = dim("text_embedding.0.weight", 2, 1);
  c.freq_dim = dim("time_embedding.0.weight", 2, 1);
  c.ffn_dim = dim("blocks.0.ffn.0.weight", 2, 0);
  const std::int64_t patch_numel = c.patch[0] * c.patch[1] * c.patch[2];  // at most 64^3: no overflow
  const std::int64_t head_rows = dim("head.head.weight", 2, 0);
  if (head_rows % patch_numel != 0)
    throw Error(label + ": tensor '" + keys.to_stored("head.head.weight") + "' has " + std::to_string(head_rows) +
                " rows, not a multiple of the patch's " + std::to_string(patch_numel));
  c.out_dim = head_rows / patch_numel;
  std::int64_t layers = 0;
  while (ckpt.contains(keys.to_stored("blocks." + std::to_string(layers) + ".modulation"))) ++layers;
  c.num_layers = layers;
  c.num_heads = c.dim % 128 == 0 ? c.dim / 128 : 1;

  // A config.json beside the weights settles what shapes cannot (heads, text length).
  const auto cfg = std::filesystem::path(ckpt.folder()) / "config.json";
  if (std::filesystem::exists(cfg)) {
    const DitConfig file = load_dit_config(cfg.string());
    c.num_heads = file.num_heads;
    c.text_len = file.text_len;
    c.eps = file.eps;
    out.heads_from_config = true;
    out.config_path = cfg.string();
    if (file.dim != c.dim || file.num_layers != c.num_layers || file.ffn_dim != c.ffn_dim) {
      throw Error(cfg.string() + ": config disagrees with the weights (" + file.summary() + " vs " +
                  c.summary() + ")");
    }
  }
  c.validate(label);
  return out;
}

}  // namespace linvideo::model
