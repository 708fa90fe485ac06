#pragma once
// Few-step distillation of the LinVideo model with DMD2 (linvideo.md section 6; docs/method.md,
// "Few-step distillation (DMD2)"). Three models:
//   - the teacher: the pipeline's DiT, every layer softmax, frozen, with CFG (real score);
//   - the student generator: base weights + the LinVideo sidecar, every weight trained (the maps
//     too), no CFG, on a fixed few-step schedule;
//   - the critic (fake score): a copy of the teacher, trained with the flow-matching loss on the
//     student's outputs, `critic_updates` times per generator update.
// Data-free: the student's inputs are its own rollouts from noise (backward simulation).
// The run folder works as transfer's does (config.json, metrics.jsonl, atomic checkpoints, exact
// resume); a finished run exports the student's EMA weights as RUN/student.safetensors (student.h).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/pipeline/text_to_video.h"

namespace linvideo::method {

struct DistillOptions {
  std::string run_dir;
  std::string sidecar;                 // the LinVideo model the student starts from (base + sidecar)
  // The prompts: text encoded once with the pipeline's encoder, or a trajectory cache's contexts.
  std::vector<std::string> prompts;
  std::string cache_dir;
  // Latent size, the teacher's CFG scale and the shift come from here (the model's defaults).
  pipeline::GenerationSettings settings;
  double guidance = -1;                // teacher CFG; < 0: settings.guidance
  std::int64_t steps = 2000;           // generator updates
  std::vector<double> student_timesteps = {1000, 750, 500, 250};  // before the shift
  double shift = -1;                   // < 0: settings.shift (student schedule and t draws)
  int critic_updates = 5;              // per generator update
  double lr_generator = 2e-6, lr_critic = 4e-7;  // the public Wan 1.3B recipes
  double beta2 = 0.999;                // AdamW betas (0, beta2) for both
  double weight_decay = 0.01;
  double t_low = 0.02, t_high = 0.98;  // DM and critic timesteps: u ~ U[t_low, t_high], sigma = shift(u)
  bool normalize = true;               // g divided per sample by its mean |g|
  double ema_decay = 0.99;
  std::uint64_t seed = 0;
  int checkpoint_every = 50;
  std::string gradient_checkpointing = "auto";  // auto (on for CUDA), on, off: student and critic
  std::string precision = "auto";               // auto (bf16 autocast on CUDA), fp32, bf16
  // false: a measuring run (`linvideo bench distill`): no checkpoint and no student file is written
  // (at the Wan 1.3B shape a checkpoint is about 36 GB), so it cannot be resumed.
  bool save_outputs = true;
};

struct DistillStep {
  std::int64_t step = 0, total = 0;
  double dm_loss = 0;      // the surrogate (normalised: about constant, not a quality measure)
  double critic_loss = 0;  // flow-matching loss, mean over this step's critic updates
  double gap = 0;          // mean (v_real - v_fake)^2 at the noised student sample
  int student_step = 0;    // which step of the schedule the generator was trained at (0-based)
  double step_seconds = 0, eta_seconds = 0;
};

struct DistillResult {
  std::int64_t steps_done = 0;
  bool cancelled = false;
  std::string student;  // RUN/student.safetensors when the run completed
  double seconds = 0;
};

// Throws Error (one line, naming the option) on bad options, a mismatching run folder, or a
// non-finite loss, gradient or weight (naming the step and the last good checkpoint, which is kept).
// The pipeline's DiT (the teacher) is left as it was.
DistillResult run_distill(pipeline::TextToVideo& t2v, const DistillOptions& options,
                          const std::function<void(const DistillStep&)>& on_step = {},
                          const std::function<void(const std::string&)>& log = {},
                          const pipeline::CancelToken* cancel = nullptr);

}  // namespace linvideo::method
