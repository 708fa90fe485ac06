#include "core/model/vae_config.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/atomic_write.h"
#include "core/json_fields.h"

namespace linvideo::model {

std::int64_t VaeConfig::temporal_stride() const {
  std::int64_t s = 1;
  for (bool t : temporal_downsample) s *= t ? 2 : 1;
  return s;
}
std::int64_t VaeConfig::spatial_stride() const { return std::int64_t{1} << (dim_mult.size() - 1); }

void VaeConfig::validate(const std::string& label) const {
  auto bad = [&](const std::string& what) { throw Error(label + ": invalid VAE config: " + what); };
  if (base_dim <= 0 || z_dim <= 0 || num_res_blocks <= 0) bad("sizes must be positive");
  if (base_dim > 4096) bad("base_dim " + std::to_string(base_dim) + " is larger than 4096");
  if (z_dim > 1024) bad("z_dim " + std::to_string(z_dim) + " is larger than 1024");
  if (num_res_blocks > 64) bad("num_res_blocks " + std::to_string(num_res_blocks) + " is larger than 64");
  if (dim_mult.size() < 2) bad("dim_mult needs at least 2 entries");
  if (dim_mult.size() > 8) bad("dim_mult has " + std::to_string(dim_mult.size()) + " entries (at most 8)");
  for (const std::int64_t m : dim_mult) {
    if (m < 1 || m > 64) bad("dim_mult entries must be between 1 and 64 (got " + std::to_string(m) + ")");
  }
  if (temporal_downsample.size() + 1 != dim_mult.size()) bad("temperal_downsample needs one entry less than dim_mult");
  if (static_cast<std::int64_t>(latents_mean.size()) != z_dim || static_cast<std::int64_t>(latents_std.size()) != z_dim) {
    bad("latents_mean/latents_std need z_dim entries");
  }
  for (double s : latents_std) {
    if (!(s > 0) || !std::isfinite(s)) bad("latents_std must be positive and finite");
  }
  for (double m : latents_mean) {
    if (!std::isfinite(m)) bad("latents_mean must be finite");
  }
}

VaeConfig parse_vae_config(const std::string& json_text, const std::string& label) {
  nlohmann::json root = nlohmann::json::parse(json_text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) throw Error(label + ": VAE config is not a JSON object");
  VaeConfig c;
  if (!root.contains("dim") && !root.contains("base_dim")) {
    // Golden-style wrapper: take the diffusers part (it carries the latent statistics).
    for (const char* part : {"diffusers", "original"}) {
      if (!root.contains(part)) continue;
      nlohmann::json inner = root[part];
      if (!inner.is_object()) throw Error(label + ": VAE config field '" + std::string(part) + "' must be an object");
      root = std::move(inner);
      break;
    }
  }
  read_json_field(root, "dim", &c.base_dim, label);
  read_json_field(root, "base_dim", &c.base_dim, label);
  read_json_field(root, "z_dim", &c.z_dim, label);
  read_json_field(root, "dim_mult", &c.dim_mult, label);
  read_json_field(root, "num_res_blocks", &c.num_res_blocks, label);
  read_json_field(root, "temperal_downsample", &c.temporal_downsample, label);
  read_json_field(root, "latents_mean", &c.latents_mean, label);
  read_json_field(root, "latents_std", &c.latents_std, label);
  c.validate(label);
  return c;
}

VaeConfig load_vae_config(const std::string& path) { return parse_vae_config(read_text_file(path), path); }

}  // namespace linvideo::model
