#pragma once
// A tiny text-to-video pipeline for tests: a random 3-block DiT, the golden tiny VAE and hashed
// text embeddings. Seeds fix everything.
#include <memory>

#include "core/io/checkpoint.h"
#include "core/io/vae_dialect.h"
#include "core/model/wan_dit.h"
#include "core/model/wan_vae.h"
#include "core/pipeline/text_to_video.h"
#include "tests/support/test_support.h"

namespace linvideo::test {

inline std::unique_ptr<pipeline::TextToVideo> tiny_pipeline(std::uint64_t seed = 3) {
  model::DitConfig c;
  c.dim = 32, c.ffn_dim = 64, c.num_heads = 2, c.num_layers = 3, c.text_dim = 16, c.text_len = 8;
  auto dit = std::shared_ptr<model::WanDiT>(model::WanDiT::random(c, {}, seed));
  const auto vae_config = model::load_vae_config(golden_dir() + "/vae_tiny.config.json");
  const auto ckpt = io::Checkpoint::open(golden_dir() + "/vae_tiny.original.safetensors");
  auto vae = std::shared_ptr<model::WanVAE>(
      model::WanVAE::load(ckpt, io::detect_vae_dialect(ckpt.keys(), vae_config.num_res_blocks, ckpt.source()), vae_config));
  return std::make_unique<pipeline::TextToVideo>(dit, vae, std::make_shared<pipeline::HashedPromptEncoder>(16, 4));
}

inline pipeline::GenerationSettings tiny_settings() {
  pipeline::GenerationSettings s;
  s.frames = 5, s.height = 32, s.width = 32, s.guidance = 3.0, s.steps = 3;
  return s;
}

}  // namespace linvideo::test
