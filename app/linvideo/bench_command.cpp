#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/linvideo/commands.h"
#include "core/bench/dit_benchmark.h"
#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/dit_dialect.h"
#include "core/version.h"

namespace linvideo::cli {
namespace {

model::DitConfig config_for(const std::string& model) {
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

}  // namespace

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Benchmarks (median of repeats, baseline in the same run)");
  bench->require_subcommand(1);
  auto* dit = bench->add_subcommand(
      "dit", "Time one DiT forward, all-softmax vs LinVideo hybrid (random weights of the real shapes)");
  struct Args {
    bench::DitBenchOptions o;
    std::string model = "1.3B";
    std::string json_path;
    bool verbose = false;
  };
  auto a = std::make_shared<Args>();
  dit->add_option("--model", a->model, "1.3B, 14B, a config.json or a checkpoint (shapes only)")->capture_default_str();
  dit->add_option("--device", a->o.device, "cpu or cuda")->capture_default_str();
  dit->add_option("--dtype", a->o.dtype, "fp32 or bf16")->capture_default_str();
  dit->add_option("--frames", a->o.frames, "Video frames (4k+1)")->capture_default_str();
  dit->add_option("--height", a->o.height, "Video height in pixels")->capture_default_str();
  dit->add_option("--width", a->o.width, "Video width in pixels")->capture_default_str();
  dit->add_option("--linear-layers", a->o.linear_layers,
                  "Layers made linear (-1: the paper's 16 of 30, else half)")->capture_default_str();
  dit->add_option("--warmup", a->o.warmup, "Untimed runs first")->capture_default_str();
  dit->add_option("--repeats", a->o.repeats, "Timed runs")->capture_default_str();
  dit->add_option("--json", a->json_path, "Also write the results as JSON here");
  dit->add_flag("-v,--verbose", a->verbose, "Print every run");
  dit->callback([a] {
    a->o.config = config_for(a->model);
    const auto r = bench::run_dit_benchmark(a->o, [&](const std::string& s) {
      if (a->verbose) std::fprintf(stderr, "%s\n", s.c_str());
    });
    const std::string card = device_name(a->o.device);
    std::printf("device:   %s (%s)\n", card.c_str(), version_string().c_str());
    std::printf("model:    %s, %s\n", a->o.config.summary().c_str(), a->o.dtype.c_str());
    std::printf("input:    %lld frames %lldx%lld -> %lld tokens, batch 1\n", (long long)a->o.frames,
                (long long)a->o.height, (long long)a->o.width, (long long)r.tokens);
    std::printf("softmax:  median %.2f ms (min %.2f, max %.2f) over %d\n", r.softmax.median_ms,
                r.softmax.min_ms, r.softmax.max_ms, a->o.repeats);
    std::printf("hybrid:   median %.2f ms (min %.2f, max %.2f), %zu of %lld layers linear\n",
                r.hybrid.median_ms, r.hybrid.min_ms, r.hybrid.max_ms, r.linear_layer_ids.size(),
                (long long)a->o.config.num_layers);
    std::printf("speed-up: %.2fx (softmax / hybrid median)\n", r.softmax.median_ms / r.hybrid.median_ms);
    if (!a->json_path.empty()) {
      nlohmann::json j = {{"device", card},
                          {"version", version_string()},
                          {"model", a->o.config.summary()},
                          {"dtype", a->o.dtype},
                          {"tokens", r.tokens},
                          {"softmax_ms", r.softmax.ms},
                          {"hybrid_ms", r.hybrid.ms},
                          {"softmax_median_ms", r.softmax.median_ms},
                          {"hybrid_median_ms", r.hybrid.median_ms},
                          {"linear_layers", r.linear_layer_ids},
                          {"speedup", r.softmax.median_ms / r.hybrid.median_ms}};
      std::ofstream(a->json_path) << j.dump(2) << "\n";
    }
  });
}

}  // namespace linvideo::cli
