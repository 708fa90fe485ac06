#pragma once
// Checkpoint dialects of the Wan VAE: original (`Wan2.1_VAE.pth` names) and diffusers
// (`AutoencoderKLWan`). Internal names are the original ones.
#include <cstdint>
#include <string>
#include <vector>

namespace linvideo::io {

enum class VaeDialect { Original, Diffusers };
const char* vae_dialect_name(VaeDialect dialect);

struct VaeKeyMap {
  VaeDialect dialect = VaeDialect::Original;
  std::int64_t num_res_blocks = 2;  // decides the diffusers up_blocks layout
  std::string prefix;               // e.g. "vae." or "first_stage_model." in combined files

  std::string to_stored(const std::string& internal) const;
};

VaeKeyMap detect_vae_dialect(const std::vector<std::string>& keys, std::int64_t num_res_blocks,
                             const std::string& label);

}  // namespace linvideo::io
