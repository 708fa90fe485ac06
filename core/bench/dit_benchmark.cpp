#include "core/bench/dit_benchmark.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/dit_dialect.h"
#include "core/method/layer_ranking.h"
#include "core/model/wan_dit.h"

namespace linvideo::bench {
TimingStats timing_stats(std::vector<double> ms) {
  TimingStats s;
  s.ms = ms;
  std::sort(ms.begin(), ms.end());
  s.median_ms = ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
  s.min_ms = ms.front();
  s.max_ms = ms.back();
  return s;
}

void validate_bench_input(const model::DitConfig& config, const std::string& device, const std::string& dtype,
                          std::int64_t frames, std::int64_t height, std::int64_t width) {
  if (device != "cpu" && device != "cuda") throw Error("--device must be cpu or cuda (got '" + device + "')");
  if (dtype != "fp32" && dtype != "bf16") throw Error("--dtype must be fp32 or bf16 (got '" + dtype + "')");
  if (device == "cuda" && !at::hasCUDA()) throw Error("--device cuda: this LibTorch build sees no CUDA device");
  if ((frames - 1) % 4 != 0 || frames < 1) throw Error("--frames must be 4k+1 (got " + std::to_string(frames) + ")");
  const auto& p = config.patch;
  if (height <= 0 || width <= 0 || height % (8 * p[1]) || width % (8 * p[2])) {
    throw Error("--height and --width must be positive multiples of " + std::to_string(8 * p[1]));
  }
}

std::int64_t bench_tokens(const model::DitConfig& c, std::int64_t frames, std::int64_t height, std::int64_t width) {
  const auto& p = c.patch;
  return ((frames - 1) / 4 + 1) / p[0] * (height / 8 / p[1]) * (width / 8 / p[2]);
}

void linearise_layers(model::WanDiT& dit, const std::vector<std::int64_t>& ids) {
  const auto& c = dit.config();
  for (const auto id : ids) {
    auto& layer = dit.attention_state(id);
    layer.init_linear_branch(c.num_heads, c.head_dim(), dit.options().device);
    layer.mode = model::AttentionMode::Linear;
  }
}

std::vector<std::int64_t> default_linear_layers(std::int64_t num_layers, std::int64_t count) {
  if (num_layers == 30 && count < 0) {
    return {1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 22, 24, 29};
  }
  if (count < 0) count = num_layers / 2;
  count = std::min(count, num_layers - 1);
  std::vector<std::int64_t> ids;  // 0-based
  for (int layer : method::spread_layers(static_cast<int>(num_layers), static_cast<int>(count))) ids.push_back(layer - 1);
  return ids;
}

DitBenchResult run_dit_benchmark(const DitBenchOptions& o, const std::function<void(const std::string&)>& log) {
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  validate_bench_input(o.config, o.device, o.dtype, o.frames, o.height, o.width);
  if (o.repeats < 1) throw Error("--repeats must be at least 1");

  model::DitLoadOptions load;
  load.device = o.device == "cuda" ? at::Device(at::kCUDA) : at::Device(at::kCPU);
  load.dtype = o.dtype == "bf16" ? at::kBFloat16 : at::kFloat;
  say("building random-weight DiT: " + o.config.summary());
  const auto dit = model::WanDiT::random(o.config, load, o.seed);

  const std::int64_t F = (o.frames - 1) / 4 + 1, H = o.height / 8, W = o.width / 8;
  DitBenchResult r;
  r.tokens = bench_tokens(o.config, o.frames, o.height, o.width);
  r.device_name = o.device;
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(load.device);
  const at::Tensor x = at::randn({1, o.config.in_dim, F, H, W}, opts);
  const at::Tensor t = at::full({1}, 500.0, opts);
  const model::TextCondition context = dit->encode_condition(at::randn({1, o.config.text_len, o.config.text_dim}, opts));

  auto time_forward = [&](const char* label) {
    std::vector<double> ms;
    at::Tensor out;
    for (int i = 0; i < o.warmup + o.repeats; ++i) {
      const auto start = std::chrono::steady_clock::now();
      out = dit->forward(x, t, context);
      out.sum().item<float>();  // waits for the device: the time covers the whole forward
      const double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (i >= o.warmup) ms.push_back(elapsed);
      say(std::string(label) + (i < o.warmup ? " warm-up " : " run ") + std::to_string(i + 1) + ": " +
          std::to_string(elapsed) + " ms");
    }
    return std::make_pair(timing_stats(ms), out);
  };

  const auto [soft, soft_out] = time_forward("softmax");
  r.softmax = soft;
  r.linear_layer_ids = default_linear_layers(o.config.num_layers, o.linear_layers);
  linearise_layers(*dit, r.linear_layer_ids);
  const auto [hyb, hyb_out] = time_forward("hybrid");
  r.hybrid = hyb;
  r.output_rel_diff = ((hyb_out - soft_out).norm() / soft_out.norm()).item<double>();
  return r;
}

model::DitConfig bench_dit_config(const std::string& model) {
  model::DitConfig c;  // defaults: Wan2.1 T2V-1.3B
  if (model == "1.3B") return c;
  if (model == "14B") {
    c.dim = 5120, c.ffn_dim = 13824, c.num_heads = 40, c.num_layers = 40;
    return c;
  }
  if (model.size() > 5 && model.substr(model.size() - 5) == ".json") return model::load_dit_config(model);
  const io::Checkpoint ckpt = io::Checkpoint::open(model);
  return model::detect_dit_config(ckpt, io::detect_dit_dialect(ckpt.keys(), ckpt.source())).config;
}

}  // namespace linvideo::bench
