#pragma once
// LinVideo post-training (linvideo.md sections 3 and 5): selective transfer with a learnable score
// r per layer, trained with ADM (or the MSE baseline) on a data-free trajectory cache. The base
// weights stay frozen; what trains is each layer's Hedgehog maps W_q, W_k and r, which is exactly
// what a sidecar holds. One engine API for `linvideo transfer` and the studio.
//
// A run folder holds config.json (the options), metrics.jsonl (one line per step), checkpoints
// (step-N/ folders + progress.json, written atomically; see core/train/training_state.h) and, at
// the end, linvideo.safetensors (the sidecar, with r rounded and the layer modes set).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/pipeline/text_to_video.h"

namespace linvideo::model {
class WanDiT;
}

namespace linvideo::method {

struct TransferOptions {
  std::string run_dir;
  std::string cache_dir;           // a trajectory cache (linvideo cache)
  std::int64_t target_linear = 0;  // k: layers that end linear
  std::string objective = "adm";   // "adm" or "mse"
  std::int64_t steps = 200;
  int batch = 1;                   // cached states per step (gradients accumulated)
  double lr = 1e-3;                // AdamW on W_q, W_k
  // The maps' rate over the run: "cosine" (from lr down to lr * lr_min_ratio) or "constant".
  std::string lr_schedule = "cosine";
  double lr_min_ratio = 0.1;
  double lr_r = 1e-2;              // AdamW on r (its own, larger rate)
  double weight_decay = 0.0;
  double lambda = 0.01;            // L = L_obj + lambda (L_con + L_reg)
  double alpha_from = 20, alpha_to = 2;
  // Scores within 0.01 of 1/2, where L_reg has no slope, are pushed to the side their rank asks
  // for (objectives.h, tie_break_gradient).
  bool tie_break = true;
  // Initial r. Exactly 1 would start as the teacher, but there L_reg's slope (2 alpha lambda = 0.4
  // at alpha 20) outweighs L_con's (2 k lambda) and pins every score at 1; 0.9 starts within 10%
  // of the teacher's mix and leaves the scores free to move (docs/method.md).
  double r_init = 0.9;
  int rollout_max = 4;             // ADM: the student rolls m ~ U{1..M} steps from a cached state
  double t_min = 0.02;             // ADM: (1 - t) / t uses t >= t_min
  bool normalize = true;           // ADM: g divided per sample by its mean |g|
  double guidance = -1;            // CFG of the rollouts and velocities; < 0: the cache's
  // Non-empty (1-based): no selection; these layers are linear from the start, r is not trained
  // (the "k chosen by hand / at random" baselines).
  std::vector<int> fixed_linear;
  std::uint64_t seed = 0;
  int checkpoint_every = 50;
  int warmup_steps = 100;          // attention-transfer warm-up of W (fresh runs; 0: identity)
  // Fresh runs start W_q, W_k from this sidecar's maps instead of the warm-up (a second phase
  // continuing a finished run, e.g. fixed layers after a selection run). Empty: warm-up.
  std::string init_sidecar;
  // Per-block gradient checkpointing of the student's gradient passes (WanDiT::set_gradient_
  // checkpointing): "auto" (on for CUDA, off on the CPU), "on" or "off". Same values, less memory.
  std::string gradient_checkpointing = "auto";
  // "auto" (bf16 autocast on CUDA, fp32 elsewhere), "fp32" or "bf16": the forward passes run under
  // bf16 autocast; W_q, W_k and r stay float32 (the master weights AdamW updates), and so do the
  // linear-attention branch, the time MLP and the residual stream.
  std::string precision = "auto";
};

// The two knobs as they apply to a model on `device`: checkpointing on or off, and "fp32" or "bf16".
bool uses_gradient_checkpointing(const TransferOptions& options, const c10::Device& device);
std::string resolved_precision(const TransferOptions& options, const c10::Device& device);

// One training step, for progress bars and the studio's plots.
struct TransferStep {
  std::int64_t step = 0, total = 0;
  std::map<std::string, double> losses;  // "objective", "con", "reg", "total"
  std::vector<double> r;                 // per layer, after the step
  int linear_now = 0;                    // layers with round(r) = 0
  double step_seconds = 0, eta_seconds = 0;
};

struct TransferResult {
  std::int64_t steps_done = 0;
  bool cancelled = false;
  std::vector<int> linear_layers;  // 1-based: the k lowest final scores (or the fixed choice)
  int rounded_linear = -1;         // selection: layers whose final r rounds to 0 (should be k)
  std::string sidecar;             // written when the run completed
  double seconds = 0;
};

// Trains (or resumes: a run folder with a checkpoint continues exactly where it stopped; its
// config must match). The DiT's layer states are left as the sidecar describes. Throws Error on a
// non-finite loss or weight, naming the step and the last good checkpoint, which is kept.
TransferResult run_transfer(pipeline::TextToVideo& t2v, const TransferOptions& options,
                            const std::function<void(const TransferStep&)>& on_step = {},
                            const std::function<void(const std::string&)>& log = {},
                            const pipeline::CancelToken* cancel = nullptr);

}  // namespace linvideo::method
