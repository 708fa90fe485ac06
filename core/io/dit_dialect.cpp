#include "core/io/dit_dialect.h"

#include <cctype>

#include "core/error.h"

namespace linvideo::io {
namespace {

struct Rename {
  const char* diffusers;
  const char* original;
};

// Prefix renames outside the blocks. Exact names end without a dot.
constexpr Rename kTopLevel[] = {
    {"condition_embedder.time_embedder.linear_1.", "time_embedding.0."},
    {"condition_embedder.time_embedder.linear_2.", "time_embedding.2."},
    {"condition_embedder.time_proj.", "time_projection.1."},
    {"condition_embedder.text_embedder.linear_1.", "text_embedding.0."},
    {"condition_embedder.text_embedder.linear_2.", "text_embedding.2."},
    {"scale_shift_table", "head.modulation"},
    {"proj_out.", "head.head."},
    {"patch_embedding.", "patch_embedding."},
};

// Renames inside `blocks.{i}.`. Note the trap: diffusers numbers the norms in execution order, so
// the affine cross-attention norm is its norm2 but the original's norm3.
constexpr Rename kInBlock[] = {
    {"scale_shift_table", "modulation"},
    {"attn1.to_q.", "self_attn.q."},
    {"attn1.to_k.", "self_attn.k."},
    {"attn1.to_v.", "self_attn.v."},
    {"attn1.to_out.0.", "self_attn.o."},
    {"attn1.norm_q.", "self_attn.norm_q."},
    {"attn1.norm_k.", "self_attn.norm_k."},
    {"attn2.to_q.", "cross_attn.q."},
    {"attn2.to_k.", "cross_attn.k."},
    {"attn2.to_v.", "cross_attn.v."},
    {"attn2.to_out.0.", "cross_attn.o."},
    {"attn2.norm_q.", "cross_attn.norm_q."},
    {"attn2.norm_k.", "cross_attn.norm_k."},
    {"norm2.", "norm3."},
    {"ffn.net.0.proj.", "ffn.0."},
    {"ffn.net.2.", "ffn.2."},
};

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

bool matches(const std::string& key, const std::string& from) {
  // A name ending in '.' is a prefix; otherwise it must match exactly.
  return from.back() == '.' ? starts_with(key, from) : key == from;
}

// Applies the first matching rename (forward: diffusers -> original, or backward).
std::string rename(const std::string& key, bool to_original) {
  if (starts_with(key, "blocks.")) {
    std::size_t i = 7;
    while (i < key.size() && std::isdigit(static_cast<unsigned char>(key[i]))) ++i;
    if (i == 7 || i >= key.size() || key[i] != '.') return {};
    const std::string head = key.substr(0, i + 1), rest = key.substr(i + 1);
    for (const auto& r : kInBlock) {
      const std::string from = to_original ? r.diffusers : r.original;
      const std::string to = to_original ? r.original : r.diffusers;
      if (matches(rest, from)) return head + to + rest.substr(from.size());
    }
    return {};
  }
  for (const auto& r : kTopLevel) {
    const std::string from = to_original ? r.diffusers : r.original;
    const std::string to = to_original ? r.original : r.diffusers;
    if (matches(key, from)) return to + key.substr(from.size());
  }
  return {};
}

bool has_key(const std::vector<std::string>& keys, const std::string& k) {
  for (const auto& key : keys) {
    if (key == k) return true;
  }
  return false;
}

}  // namespace

const char* dialect_name(DitDialect dialect) {
  switch (dialect) {
    case DitDialect::Original: return "original Wan";
    case DitDialect::Diffusers: return "diffusers";
    case DitDialect::ComfyUI: return "ComfyUI single file";
  }
  return "?";
}

std::string DitKeyMap::to_internal(const std::string& stored) const {
  if (!starts_with(stored, prefix)) return {};
  const std::string key = stored.substr(prefix.size());
  if (dialect == DitDialect::Diffusers) return rename(key, /*to_original=*/true);
  // Original names: accept the keys the DiT knows, ignore anything else in the file.
  if (starts_with(key, "blocks.") || starts_with(key, "patch_embedding.") ||
      starts_with(key, "text_embedding.") || starts_with(key, "time_embedding.") ||
      starts_with(key, "time_projection.") || starts_with(key, "head.")) {
    return key;
  }
  return {};
}

std::string DitKeyMap::to_stored(const std::string& internal) const {
  if (dialect == DitDialect::Diffusers) {
    const std::string renamed = rename(internal, /*to_original=*/false);
    return prefix + (renamed.empty() ? internal : renamed);
  }
  return prefix + internal;
}

DitKeyMap detect_dit_dialect(const std::vector<std::string>& keys, const std::string& label) {
  static const char* kComfyPrefixes[] = {"model.diffusion_model.", "diffusion_model."};
  for (const char* p : kComfyPrefixes) {
    if (has_key(keys, std::string(p) + "patch_embedding.weight")) {
      return {DitDialect::ComfyUI, p};
    }
  }
  if (has_key(keys, "patch_embedding.weight")) {
    if (has_key(keys, "condition_embedder.time_proj.weight") || has_key(keys, "proj_out.weight")) {
      return {DitDialect::Diffusers, ""};
    }
    if (has_key(keys, "time_projection.1.weight") || has_key(keys, "head.head.weight")) {
      return {DitDialect::Original, ""};
    }
  }
  throw Error(label + ": not a Wan DiT checkpoint (no 'patch_embedding.weight' with original, diffusers"
                      " or ComfyUI key names)");
}

}  // namespace linvideo::io
