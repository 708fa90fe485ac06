#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/linvideo/commands.h"
#include "core/bench/dit_benchmark.h"
#include "core/bench/few_step_benchmark.h"
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

std::string gib(std::int64_t bytes) {
  if (bytes < 0) return "not measured (no CUDA)";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return text;
}

void add_generation_bench(CLI::App& bench) {
  auto* cmd = bench.add_subcommand(
      "generation",
      "DiT time of a whole generation: the N-step all-softmax teacher with CFG vs the few-step LinVideo student "
      "(hybrid layers, fixed schedule, no CFG), in one run (random weights of the real shapes)");
  struct Args {
    bench::GenerationBenchOptions o;
    std::string model = "1.3B", json_path;
    bool verbose = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "1.3B, 14B, a config.json or a checkpoint")->capture_default_str();
  cmd->add_option("--device", a->o.device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--dtype", a->o.dtype, "fp32 or bf16")->capture_default_str();
  cmd->add_option("--frames", a->o.frames, "Video frames (4k+1)")->capture_default_str();
  cmd->add_option("--height", a->o.height, "Video height in pixels")->capture_default_str();
  cmd->add_option("--width", a->o.width, "Video width in pixels")->capture_default_str();
  cmd->add_option("--teacher-steps", a->o.teacher_steps, "UniPC steps of the dense generation")->capture_default_str();
  cmd->add_option("--guidance", a->o.guidance, "The dense generation's CFG scale (2 forwards a step)")->capture_default_str();
  cmd->add_option("--shift", a->o.shift, "Sigma shift (both schedules)")->capture_default_str();
  cmd->add_option("--student-timesteps", a->o.student_timesteps, "The student's schedule before the shift, e.g. 1000 750 500 250")
      ->capture_default_str();
  cmd->add_option("--linear-layers", a->o.linear_layers, "The student's linear layers (-1: the paper's 16 of 30)")
      ->capture_default_str();
  cmd->add_option("--teacher-repeats", a->o.teacher_repeats, "Timed dense generations")->capture_default_str();
  cmd->add_option("--student-repeats", a->o.student_repeats, "Timed few-step generations")->capture_default_str();
  cmd->add_option("--warmup", a->o.warmup, "Untimed generations of each first (the dense one with 2 steps)")
      ->capture_default_str();
  cmd->add_option("--json", a->json_path, "Also write the results as JSON here");
  cmd->add_flag("-v,--verbose", a->verbose, "Print every run");
  cmd->callback([a] {
    a->o.config = config_for(a->model);
    const auto r = bench::run_generation_benchmark(a->o, [&](const std::string& s) {
      if (a->verbose) std::fprintf(stderr, "%s\n", s.c_str());
    });
    const std::string card = device_name(a->o.device);
    std::printf("device:   %s (%s)\n", card.c_str(), version_string().c_str());
    std::printf("model:    %s, %s\n", a->o.config.summary().c_str(), a->o.dtype.c_str());
    std::printf("input:    %lld frames %lldx%lld -> %lld tokens, batch 1; DiT time only (no text encoder, no VAE)\n",
                (long long)a->o.frames, (long long)a->o.height, (long long)a->o.width, (long long)r.tokens);
    std::printf("teacher:  all softmax, %d UniPC steps, CFG %.1f: median %.2f s (min %.2f, max %.2f) over %d; "
                "%d forwards, %.1f ms each; peak %s\n",
                a->o.teacher_steps, a->o.guidance, r.teacher.time.median_ms / 1000, r.teacher.time.min_ms / 1000,
                r.teacher.time.max_ms / 1000, a->o.teacher_repeats, r.teacher.dit_forwards, r.teacher.ms_per_forward,
                gib(r.teacher.peak_bytes).c_str());
    std::printf("student:  %zu of %lld layers linear, %zu Euler steps, no CFG: median %.3f s (min %.3f, max %.3f) over %d; "
                "%d forwards, %.1f ms each; peak %s\n",
                r.linear_layer_ids.size(), (long long)a->o.config.num_layers, r.student_sigmas.size(),
                r.student.time.median_ms / 1000, r.student.time.min_ms / 1000, r.student.time.max_ms / 1000,
                a->o.student_repeats, r.student.dit_forwards, r.student.ms_per_forward, gib(r.student.peak_bytes).c_str());
    std::printf("speed-up: %.1fx (teacher / student median DiT time)\n", r.speedup);
    if (!a->json_path.empty()) {
      auto timing = [](const bench::GenerationTiming& g) {
        return nlohmann::json{{"ms", g.time.ms}, {"median_ms", g.time.median_ms}, {"dit_forwards", g.dit_forwards},
                              {"ms_per_forward", g.ms_per_forward}, {"peak_bytes", g.peak_bytes}};
      };
      nlohmann::json j = {{"device", card}, {"version", version_string()}, {"model", a->o.config.summary()},
                          {"dtype", a->o.dtype}, {"tokens", r.tokens}, {"teacher_steps", a->o.teacher_steps},
                          {"guidance", a->o.guidance}, {"student_sigmas", r.student_sigmas},
                          {"linear_layers", r.linear_layer_ids}, {"teacher", timing(r.teacher)},
                          {"student", timing(r.student)}, {"speedup", r.speedup}};
      std::ofstream(a->json_path) << j.dump(2) << "\n";
    }
  });
}

void add_distill_bench(CLI::App& bench) {
  auto* cmd = bench.add_subcommand(
      "distill",
      "DMD2 generator steps on one device (teacher + student + critic, random weights of the real shapes): "
      "time per step and peak memory; writes no checkpoint");
  struct Args {
    bench::DistillBenchOptions o;
    std::string model = "1.3B", json_path;
    bool verbose = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "1.3B, 14B, a config.json or a checkpoint")->capture_default_str();
  cmd->add_option("--device", a->o.device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--frames", a->o.frames, "Video frames (4k+1)")->capture_default_str();
  cmd->add_option("--height", a->o.height, "Video height in pixels")->capture_default_str();
  cmd->add_option("--width", a->o.width, "Video width in pixels")->capture_default_str();
  cmd->add_option("--steps", a->o.steps, "Generator steps (the first includes warm-up)")->capture_default_str();
  cmd->add_option("--critic-updates", a->o.critic_updates, "Critic updates per generator step")->capture_default_str();
  cmd->add_option("--student-timesteps", a->o.student_timesteps, "The student's schedule before the shift, e.g. 1000 750 500 250")
      ->capture_default_str();
  cmd->add_option("--linear-layers", a->o.linear_layers, "The student's linear layers (-1: the paper's 16 of 30)")
      ->capture_default_str();
  cmd->add_option("--grad-checkpoint", a->o.gradient_checkpointing, "auto (on for CUDA), on or off")->capture_default_str();
  cmd->add_option("--precision", a->o.precision, "auto (bf16 autocast on CUDA), fp32 or bf16")->capture_default_str();
  cmd->add_option("--work-dir", a->o.work_dir, "Scratch folder (default: the temp folder; removed after)");
  cmd->add_option("--json", a->json_path, "Also write the results as JSON here");
  cmd->add_flag("-v,--verbose", a->verbose, "Print every step");
  cmd->callback([a] {
    a->o.config = config_for(a->model);
    const auto r = bench::run_distill_benchmark(a->o, [&](const std::string& s) {
      if (a->verbose) std::fprintf(stderr, "%s\n", s.c_str());
    });
    const std::string card = device_name(a->o.device);
    const double last = r.step_seconds.empty() ? 0 : r.step_seconds.back();
    std::printf("device:   %s (%s)\n", card.c_str(), version_string().c_str());
    std::printf("model:    %s; teacher, student and critic on one device\n", a->o.config.summary().c_str());
    std::printf("input:    %lld frames %lldx%lld -> %lld tokens, batch 1, %d critic updates per generator step\n",
                (long long)a->o.frames, (long long)a->o.height, (long long)a->o.width, (long long)r.tokens,
                a->o.critic_updates);
    std::printf("step:     %.2f s per generator step (the last of %zu)\n", last, r.step_seconds.size());
    std::printf("memory:   peak %s (teacher alone: %s)\n", gib(r.peak_bytes).c_str(), gib(r.model_bytes).c_str());
    if (!a->json_path.empty()) {
      nlohmann::json j = {{"device", card}, {"version", version_string()}, {"model", a->o.config.summary()},
                          {"tokens", r.tokens}, {"critic_updates", a->o.critic_updates},
                          {"gradient_checkpointing", a->o.gradient_checkpointing}, {"precision", a->o.precision},
                          {"step_seconds", r.step_seconds}, {"peak_bytes", r.peak_bytes}, {"model_bytes", r.model_bytes}};
      std::ofstream(a->json_path) << j.dump(2) << "\n";
    }
  });
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
  add_generation_bench(*bench);
  add_distill_bench(*bench);
}

}  // namespace linvideo::cli
