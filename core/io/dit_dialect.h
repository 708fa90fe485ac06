#pragma once
// Checkpoint dialects of the Wan DiT, mapped to one internal naming (the original Wan key names).
// This is the only place that knows how the formats spell their weights.
#include <string>
#include <vector>

namespace linvideo::io {

enum class DitDialect { Original, Diffusers, ComfyUI };

const char* dialect_name(DitDialect dialect);

struct DitKeyMap {
  DitDialect dialect = DitDialect::Original;
  std::string prefix;  // stripped from every stored key (ComfyUI: "model.diffusion_model.")

  // Internal (original Wan) name of a stored key; empty if the key is not a DiT weight.
  std::string to_internal(const std::string& stored) const;
  // Stored name of an internal key in this dialect.
  std::string to_stored(const std::string& internal) const;
};

// Detects the dialect from the keys alone. `label` names the checkpoint in errors.
DitKeyMap detect_dit_dialect(const std::vector<std::string>& keys, const std::string& label);

}  // namespace linvideo::io
