#pragma once
// `linvideo bench dit`: one DiT forward timed with every layer softmax (the baseline) and with a
// chosen set of layers linear, in the same run, on the same weights and inputs.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/model/dit_config.h"

namespace linvideo::model {
class WanDiT;
}

namespace linvideo::bench {

struct DitBenchOptions {
  model::DitConfig config;
  std::string device = "cpu";  // cpu | cuda
  std::string dtype = "bf16";  // fp32 | bf16
  std::int64_t frames = 81, height = 480, width = 832;  // video size; latents are /4 (+1), /8, /8
  std::int64_t linear_layers = -1;  // -1: the paper's choice for 30 layers, else about half
  int warmup = 2;
  int repeats = 5;
  std::uint64_t seed = 0;
};

struct TimingStats {
  std::vector<double> ms;  // every repeat
  double median_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
};

// Median (mean of the middle two for an even count), min and max of `ms` (not empty).
TimingStats timing_stats(std::vector<double> ms);

// Error naming the option for a device, dtype or video size the benchmarks cannot run.
void validate_bench_input(const model::DitConfig& config, const std::string& device, const std::string& dtype,
                          std::int64_t frames, std::int64_t height, std::int64_t width);

// DiT tokens of a video size (latents /4 (+1) in time, /8 in space, then the patch).
std::int64_t bench_tokens(const model::DitConfig& config, std::int64_t frames, std::int64_t height, std::int64_t width);

struct DitBenchResult {
  std::int64_t tokens = 0;
  std::vector<std::int64_t> linear_layer_ids;  // 0-based
  TimingStats softmax;  // all layers softmax
  TimingStats hybrid;   // linear_layer_ids linear
  double output_rel_diff = 0;  // ||hybrid - softmax|| / ||softmax|| (untrained feature maps)
  std::string device_name;
};

// Layers LinVideo makes linear by default: for 30 layers the paper's learned 16 (layers 2-8,
// 10-13, 15-16, 23, 25, 30, 1-based); otherwise `count` spread evenly, never the first layer.
std::vector<std::int64_t> default_linear_layers(std::int64_t num_layers, std::int64_t count);

// Makes layers `ids` of `dit` linear with freshly initialised (untrained) feature maps.
void linearise_layers(model::WanDiT& dit, const std::vector<std::int64_t>& ids);

DitBenchResult run_dit_benchmark(const DitBenchOptions& options,
                                 const std::function<void(const std::string&)>& log = {});

// The DiT configuration `linvideo bench dit --model` names: "1.3B", "14B", a config.json, or a
// checkpoint (its shapes; the weights are not loaded).
model::DitConfig bench_dit_config(const std::string& model);

}  // namespace linvideo::bench
