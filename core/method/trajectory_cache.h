#pragma once
// The data-free training set of LinVideo (linvideo.md section 4): the teacher samples a prompts file
// with CFG, and every state of every trajectory, (x_t, t, prompt, u_t), is kept. Stored as one
// safetensors shard per (prompt, seed) job plus index.json, rewritten atomically after each shard,
// so a cache can be built once, resumed after an interruption, inspected and shared.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/pipeline/text_to_video.h"

namespace linvideo::method {

struct CacheOptions {
  std::string dir;
  std::vector<std::string> prompts;
  int seeds = 1;
  std::int64_t max_jobs = -1;  // stop after this many new shards (-1: all); for staged builds
  // After each new shard: how many of the cache's shards exist now, of how many. Optional.
  std::function<void(std::int64_t done, std::int64_t total)> on_shard;
};

struct CacheSummary {
  std::int64_t shards = 0, states = 0, bytes = 0;
  std::int64_t new_shards = 0;
  bool complete = false;
};

// Builds or resumes the cache; jobs already listed in index.json are skipped. `base` gives the
// sampling settings (steps, guidance, shift, size, sampler); its prompt and seed are replaced.
// The trajectories are the teacher's: every layer runs softmax while sampling, whatever the
// model's modes are (they are restored afterwards).
CacheSummary build_trajectory_cache(pipeline::TextToVideo& t2v, const pipeline::GenerationSettings& base,
                                    const CacheOptions& options,
                                    const std::function<void(const std::string&)>& log = {},
                                    const pipeline::CancelToken* cancel = nullptr);

// One cached trajectory, read back for training (tensors on the CPU, float32 except t/sigma).
struct CachedTrajectory {
  std::string file, prompt;
  at::Tensor x_t, u_t;        // [steps, C, F, h, w]: state and the teacher's guided velocity there
  at::Tensor t, sigma;        // [steps] float64: model timestep (0..1000) and flow time (0..1)
  at::Tensor context, negative_context;  // [1, L, text_dim]
};

struct CacheContents {
  std::vector<CachedTrajectory> trajectories;
  double guidance = 1.0;  // the CFG scale the teacher sampled with
  int steps = 0;
  // A digest of the index (settings, and every shard's job, prompt, file and sizes): part of a
  // training run's identity, so a run is never resumed on a cache rebuilt from other prompts.
  std::string digest;
};

// The digest of a cache's index alone (CacheContents::digest without reading the shards).
std::string trajectory_cache_digest(const std::string& dir);

// Reads every shard index.json lists; an Error names the folder or shard that is missing or bad.
CacheContents read_trajectory_cache(const std::string& dir);

}  // namespace linvideo::method
