#pragma once
// Trainers for the embedded "shapes" model (issue 4): VAE, text encoder, tokenizer and the DiT
// teacher, all of the Wan2.1 architectures, plus the export to a diffusers folder that the normal
// loader reads. Every trainer resumes from its run folder (see training_state.h).
#include <cstdint>
#include <functional>
#include <string>

#include "core/model/dit_config.h"
#include "core/model/wan_vae.h"

namespace linvideo::train {

struct TrainLog {
  std::function<void(const std::string&)> line;
};

struct RunOptions {
  std::string dir;          // run folder (checkpoints, progress.json)
  std::string device = "cuda";
  std::int64_t steps = 1000;  // total steps (a resumed run continues up to this)
  int batch = 8;
  double lr = 2e-4;
  std::uint64_t seed = 1;
  int checkpoint_every = 200;
  int log_every = 20;
  double max_minutes = 0;  // > 0: stop (and checkpoint) when this much time has passed
  std::string init;        // fresh runs only: start from an exported model folder's weights
  // VAE: object pixels weigh 1 + foreground_weight in the reconstruction loss (objects cover ~1%
  // of a frame; unweighted, a VAE that draws only the background already scores a low loss).
  double foreground_weight = 20;
  // VAE: weight of the L1 loss on differences along x, y and time (sharpness, steadiness).
  double edge_weight = 1;
  // VAE: train on windows of this many frames (1 + 4k) at a random start; 0: whole clips.
  int clip_frames = 0;
  // DiT: encode this many clips once and draw batches from them (0: encode every batch afresh).
  int latent_pool = 0;
};

// The shapes model's architecture choices, in one place.
model::VaeConfig shapes_vae_config();   // base 16, 1 res block per stage, z 16
model::DitConfig shapes_dit_config();   // dim 224, 8 blocks, 4 heads, ffn 768, text 64 x 32

// Writes tokenizer/spiece.model (trained with spm_train on the grammar) into `out_dir`.
void pretrain_tokenizer(const std::string& out_dir, const TrainLog& log);
// Writes a randomly initialised, frozen umT5 (d_model 64) sized for the tokenizer: text_encoder/.
void pretrain_text_encoder(const std::string& out_dir, const std::string& tokenizer_path, std::uint64_t seed,
                           const TrainLog& log);
// Reconstruction training; at the end latents_mean/std are measured and written with the weights.
void pretrain_vae(const RunOptions& run, const TrainLog& log);
// Flow matching on the frozen VAE's normalised latents, with 10% empty prompts for CFG.
void pretrain_dit(const RunOptions& run, const std::string& vae_run, const std::string& text_dir,
                  const std::string& tokenizer_path, const TrainLog& log);
// Assembles a diffusers-layout folder (bf16 DiT and VAE, fp32 text encoder).
void export_shapes_model(const std::string& out_dir, const std::string& vae_run, const std::string& dit_run,
                         const std::string& text_dir, const std::string& tokenizer_path, const TrainLog& log);

}  // namespace linvideo::train
