#pragma once
// The engine's training calls as plain value requests (issue 19): the trajectory cache, LinVideo
// transfer (cache then training) and DMD2 distillation. `linvideo cache|transfer|distill` and the
// studio's Train and Distill views make the same requests; Engine::cache(), transfer() and
// distill() run them on the loaded model.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/method/distill.h"
#include "core/method/trajectory_cache.h"
#include "core/method/transfer.h"

namespace linvideo::engine {

// Progress, log and cancel of a training call. Every callback is optional and runs on the
// calling thread.
struct TrainCallbacks {
  // After each new cached trajectory: how many of the cache's trajectories exist, of how many.
  std::function<void(std::int64_t done, std::int64_t total)> on_cache;
  std::function<void(const method::TransferStep&)> on_transfer_step;
  std::function<void(const method::DistillStep&)> on_distill_step;
  std::function<void(const std::string&)> on_log;
  const pipeline::CancelToken* cancel = nullptr;
};

// The teacher's trajectories (every layer softmax, whatever the model's layers are now), built
// or resumed in `dir`.
struct CacheRequest {
  std::string dir;
  std::vector<std::string> prompts;
  int seeds = 1;               // per prompt
  int steps = 0;               // sampler steps; 0: the model's default
  std::int64_t max_jobs = -1;  // stop after this many new trajectories (-1: all)
};

struct TransferRequest {
  // run_dir is required; an empty cache_dir means RUN/cache. fixed_linear/target_linear may be
  // left to `layers`.
  method::TransferOptions options;
  // With prompts, the cache is built (or resumed) first in options.cache_dir; without, that
  // folder must already hold one. (`cache.dir` is ignored.)
  CacheRequest cache;
  std::string layers;    // "2-5,7" (1-based): exactly these layers linear, no selection
  bool resume = false;   // false: a run folder that holds a checkpoint is refused
  bool install = true;   // a finished run's sidecar becomes the model's layers
};

struct TransferOutcome {
  method::CacheSummary cache;  // when the request built one
  method::TransferResult run;
  bool cancelled_while_caching = false;
  bool cancelled() const { return cancelled_while_caching || run.cancelled; }
};

struct DistillRequest {
  // run_dir is required. An empty sidecar means the model's shipped one. options.settings is
  // ignored: the latent size, teacher CFG and shift are the model's defaults, with the sizes
  // below over them.
  method::DistillOptions options;
  std::int64_t frames = 0, height = 0, width = 0;  // 0: the model's default
  bool resume = false;  // false: a run folder that holds a checkpoint is refused
};

// Refuses to start a fresh run in a folder that already holds one (one line naming the folder
// and its step, and `--resume`); `what` names the command ("transfer", "distill").
void check_run_folder(const std::string& what, const std::string& run_dir, bool resume);

}  // namespace linvideo::engine
