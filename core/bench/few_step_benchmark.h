#pragma once
// Benchmarks of the two LinVideo stages together, on random weights of a real shape:
//   - `linvideo bench generation`: the DiT time of a whole generation, the dense teacher's
//     (every layer softmax, N-step UniPC with CFG: 2N forwards) against the few-step LinVideo
//     student's (the hybrid layers, its fixed schedule with Euler, no CFG: K forwards), in one run
//     through the pipeline's own sampler;
//   - `linvideo bench distill`: DMD2 generator steps (teacher + student + critic on one device),
//     their time and the device's peak memory, without writing checkpoints.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/bench/dit_benchmark.h"
#include "core/model/dit_config.h"

namespace linvideo::bench {

struct GenerationBenchOptions {
  model::DitConfig config;
  std::string device = "cuda";
  std::string dtype = "bf16";
  std::int64_t frames = 81, height = 480, width = 832;
  int teacher_steps = 50;
  double guidance = 5.0;
  double shift = 5.0;
  std::vector<double> student_timesteps = {1000, 750, 500, 250};  // before the shift
  std::int64_t linear_layers = -1;  // as `bench dit`: -1 the paper's 16 of 30
  int teacher_repeats = 3;           // each is a whole 2N-forward generation
  int student_repeats = 10;
  int warmup = 1;
  std::uint64_t seed = 0;
};

struct GenerationTiming {
  TimingStats time;          // ms: DiT time of one whole generation (the sampling loop, synchronised)
  int dit_forwards = 0;      // per generation
  double ms_per_forward = 0; // median / forwards
  std::int64_t peak_bytes = -1;  // device allocator peak during the timed runs (-1: not measured)
};

struct GenerationBenchResult {
  std::int64_t tokens = 0;
  std::vector<std::int64_t> linear_layer_ids;
  std::vector<double> student_sigmas;
  GenerationTiming teacher, student;
  double speedup = 0;  // teacher median / student median
};

GenerationBenchResult run_generation_benchmark(const GenerationBenchOptions& options,
                                               const std::function<void(const std::string&)>& log = {});

struct DistillBenchOptions {
  model::DitConfig config;
  std::string device = "cuda";
  std::int64_t frames = 81, height = 480, width = 832;
  std::int64_t steps = 2;  // generator steps; the first includes warm-up
  int critic_updates = 5;
  std::vector<double> student_timesteps = {1000, 750, 500, 250};
  std::int64_t linear_layers = -1;
  std::string gradient_checkpointing = "auto";
  std::string precision = "auto";
  std::string work_dir;  // a scratch folder for the run's config and metrics ("" : the temp folder)
  std::uint64_t seed = 0;
};

struct DistillBenchResult {
  std::int64_t tokens = 0;
  std::vector<double> step_seconds;  // every generator step (critic updates included)
  std::int64_t peak_bytes = -1;      // device allocator peak over the whole run
  std::int64_t model_bytes = -1;     // allocated after the teacher was built, before distillation
};

DistillBenchResult run_distill_benchmark(const DistillBenchOptions& options,
                                         const std::function<void(const std::string&)>& log = {});

}  // namespace linvideo::bench
