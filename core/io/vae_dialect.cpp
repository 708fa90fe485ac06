#include "core/io/vae_dialect.h"

#include <algorithm>

#include "core/error.h"

namespace linvideo::io {
namespace {

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

// Inside a residual block: residual.{0,2,3,6} and shortcut.
std::string residual_part(const std::string& rest) {
  static const std::pair<const char*, const char*> kParts[] = {
      {"residual.0.", "norm1."}, {"residual.2.", "conv1."}, {"residual.3.", "norm2."},
      {"residual.6.", "conv2."}, {"shortcut.", "conv_shortcut."}};
  for (const auto& [from, to] : kParts) {
    if (starts_with(rest, from)) return to + rest.substr(std::string(from).size());
  }
  return rest;  // resample.*, time_conv.* keep their names
}

// "middle.{0,1,2}.rest" and "head.{0,2}.rest" of either coder.
bool common_part(const std::string& rest, std::string* out) {
  if (starts_with(rest, "conv1.")) return *out = "conv_in." + rest.substr(6), true;
  if (starts_with(rest, "middle.0.")) return *out = "mid_block.resnets.0." + residual_part(rest.substr(9)), true;
  if (starts_with(rest, "middle.2.")) return *out = "mid_block.resnets.1." + residual_part(rest.substr(9)), true;
  if (starts_with(rest, "middle.1.")) return *out = "mid_block.attentions.0." + rest.substr(9), true;
  if (starts_with(rest, "head.0.")) return *out = "norm_out." + rest.substr(7), true;
  if (starts_with(rest, "head.2.")) return *out = "conv_out." + rest.substr(7), true;
  return false;
}

// Splits "N.rest" into N and rest.
bool split_index(const std::string& s, std::int64_t* n, std::string* rest) {
  const auto dot = s.find('.');
  if (dot == std::string::npos || dot == 0) return false;
  try {
    *n = std::stoll(s.substr(0, dot));
  } catch (...) {
    return false;
  }
  *rest = s.substr(dot + 1);
  return true;
}

std::string to_diffusers(const std::string& key, std::int64_t res_blocks) {
  if (starts_with(key, "conv1.")) return "quant_conv." + key.substr(6);
  if (starts_with(key, "conv2.")) return "post_quant_conv." + key.substr(6);
  for (const std::string coder : {"encoder.", "decoder."}) {
    if (!starts_with(key, coder)) continue;
    const std::string rest = key.substr(coder.size());
    std::string mapped;
    if (common_part(rest, &mapped)) return coder + mapped;
    std::int64_t n = 0;
    std::string tail;
    if (starts_with(rest, "downsamples.") && split_index(rest.substr(12), &n, &tail)) {
      return coder + "down_blocks." + std::to_string(n) + "." + residual_part(tail);
    }
    if (starts_with(rest, "upsamples.") && split_index(rest.substr(10), &n, &tail)) {
      // Each decoder stage holds res_blocks + 1 residual blocks, then one resample.
      const std::int64_t per_stage = res_blocks + 2;
      const std::int64_t stage = n / per_stage, j = n % per_stage;
      if (j <= res_blocks) {
        return coder + "up_blocks." + std::to_string(stage) + ".resnets." + std::to_string(j) + "." +
               residual_part(tail);
      }
      return coder + "up_blocks." + std::to_string(stage) + ".upsamplers.0." + tail;
    }
  }
  return key;
}

}  // namespace

const char* vae_dialect_name(VaeDialect dialect) {
  return dialect == VaeDialect::Original ? "original Wan" : "diffusers";
}

std::string VaeKeyMap::to_stored(const std::string& internal) const {
  return prefix + (dialect == VaeDialect::Diffusers ? to_diffusers(internal, num_res_blocks) : internal);
}

VaeKeyMap detect_vae_dialect(const std::vector<std::string>& keys, std::int64_t num_res_blocks,
                             const std::string& label) {
  auto has = [&](const std::string& k) { return std::binary_search(keys.begin(), keys.end(), k); };
  for (const std::string prefix : {"", "vae.", "first_stage_model."}) {
    if (has(prefix + "decoder.conv_in.weight")) return {VaeDialect::Diffusers, num_res_blocks, prefix};
    if (has(prefix + "decoder.conv1.weight")) return {VaeDialect::Original, num_res_blocks, prefix};
  }
  throw Error(label + ": not a Wan VAE checkpoint (no 'decoder.conv1.weight' or 'decoder.conv_in.weight')");
}

}  // namespace linvideo::io
