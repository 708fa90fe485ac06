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

namespace linvideo::linvideo_method {

struct CacheOptions {
  std::string dir;
  std::vector<std::string> prompts;
  int seeds = 1;
  std::int64_t max_jobs = -1;  // stop after this many new shards (-1: all); for staged builds
};

struct CacheSummary {
  std::int64_t shards = 0, states = 0, bytes = 0;
  std::int64_t new_shards = 0;
  bool complete = false;
};

// Builds or resumes the cache; jobs already listed in index.json are skipped. `base` gives the
// sampling settings (steps, guidance, shift, size, sampler); its prompt and seed are replaced.
CacheSummary build_trajectory_cache(pipeline::TextToVideo& t2v, const pipeline::GenerationSettings& base,
                                    const CacheOptions& options,
                                    const std::function<void(const std::string&)>& log = {},
                                    const pipeline::CancelToken* cancel = nullptr);

}  // namespace linvideo::linvideo_method
