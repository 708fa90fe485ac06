#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/linvideo/commands.h"
#include "core/bench/attention_benchmark.h"
#include "core/bench/dit_benchmark.h"
#include "core/bench/few_step_benchmark.h"
#include "core/bench/transfer_benchmark.h"
#include "core/bench/vae_benchmark.h"
#include "core/error.h"
#include "core/atomic_write.h"
#include "core/pipeline/model_loader.h"
#include "core/version.h"

namespace linvideo::cli {
namespace {

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
    a->o.config = bench::bench_dit_config(a->model);
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
      write_text_atomically(a->json_path, j.dump(2) + "\n");
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
    a->o.config = bench::bench_dit_config(a->model);
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
      write_text_atomically(a->json_path, j.dump(2) + "\n");
    }
  });
}

void add_attention_bench(CLI::App& bench) {
  auto* cmd = bench.add_subcommand(
      "attention",
      "One attention layer, forward and forward+backward: SDPA, the ATen linear reference and the fused linear "
      "kernels, in one run (random inputs in the DiT's layout)");
  struct Args {
    bench::AttentionBenchOptions o;
    std::string json_path;
    bool verbose = false, no_backward = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--tokens", a->o.tokens, "Sequence length (32760: Wan 1.3B at 480x832, 81 frames)")->capture_default_str();
  cmd->add_option("--heads", a->o.heads, "Attention heads")->capture_default_str();
  cmd->add_option("--head-dim", a->o.head_dim, "Head dimension")->capture_default_str();
  cmd->add_option("--batch", a->o.batch, "Batch size")->capture_default_str();
  cmd->add_option("--dtype", a->o.dtype, "bf16 or fp32")->capture_default_str();
  cmd->add_option("--device", a->o.device, "cuda or cpu")->capture_default_str();
  cmd->add_option("--warmup", a->o.warmup, "Untimed runs of each first")->capture_default_str();
  cmd->add_option("--repeats", a->o.repeats, "Timed runs of each (the median is reported)")->capture_default_str();
  cmd->add_flag("--no-backward", a->no_backward, "Time the forward only");
  cmd->add_option("--json", a->json_path, "Also write the results as JSON here");
  cmd->add_flag("-v,--verbose", a->verbose, "Print every run");
  cmd->callback([a] {
    a->o.backward = !a->no_backward;
    const auto r = bench::run_attention_benchmark(a->o, [&](const std::string& s) {
      if (a->verbose) std::fprintf(stderr, "%s\n", s.c_str());
    });
    const std::string card = device_name(a->o.device);
    std::printf("device:  %s (%s)\n", card.c_str(), version_string().c_str());
    std::printf("input:   batch %lld, %lld heads of %lld, %lld tokens, %s; median of %d\n", (long long)a->o.batch,
                (long long)a->o.heads, (long long)a->o.head_dim, (long long)a->o.tokens, a->o.dtype.c_str(),
                a->o.repeats);
    if (r.peak_gbs > 0)
      std::printf("memory:  peak %.0f GB/s; the forward moves at least %.1f MB (floor %.3f ms), forward+backward %.1f MB "
                  "(floor %.3f ms)\n",
                  r.peak_gbs, r.forward_bytes / 1e6, r.forward_bytes / (r.peak_gbs * 1e6),
                  r.forward_backward_bytes / 1e6, r.forward_backward_bytes / (r.peak_gbs * 1e6));
    std::printf("%-18s %12s %10s %16s %10s\n", "", "forward ms", "GB/s", "fwd+bwd ms", "GB/s");
    auto gbs = [](double bytes, double ms) { return ms > 0 ? bytes / (ms * 1e6) : 0.0; };
    const bench::AttentionTiming* sdpa = nullptr;
    const bench::AttentionTiming* ref = nullptr;
    const bench::AttentionTiming* fused = nullptr;
    for (const auto& t : r.rows) {
      if (t.name == "sdpa") sdpa = &t;
      if (t.name == "linear-reference") ref = &t;
      if (t.name == "linear-fused") fused = &t;
      if (!t.unavailable.empty()) {
        std::printf("%-18s not run: %s\n", t.name.c_str(), t.unavailable.c_str());
        continue;
      }
      std::printf("%-18s %12.4f %10.0f", t.name.c_str(), t.forward.median_ms, gbs(r.forward_bytes, t.forward.median_ms));
      if (a->o.backward)
        std::printf(" %16.4f %10.0f", t.forward_backward.median_ms,
                    gbs(r.forward_backward_bytes, t.forward_backward.median_ms));
      std::printf("\n");
    }
    nlohmann::json ratios = nlohmann::json::object();
    if (fused && fused->unavailable.empty()) {
      auto ratio = [&](const char* key, const bench::AttentionTiming* base, bool fb) {
        const double b = fb ? base->forward_backward.median_ms : base->forward.median_ms;
        const double f = fb ? fused->forward_backward.median_ms : fused->forward.median_ms;
        if (b > 0 && f > 0) ratios[key] = b / f;
      };
      ratio("fused_vs_sdpa_forward", sdpa, false);
      ratio("fused_vs_reference_forward", ref, false);
      if (a->o.backward) {
        ratio("fused_vs_sdpa_forward_backward", sdpa, true);
        ratio("fused_vs_reference_forward_backward", ref, true);
      }
      if (r.peak_gbs > 0) ratios["fused_forward_over_memory_floor"] = fused->forward.median_ms / (r.forward_bytes / (r.peak_gbs * 1e6));
      for (const auto& [key, value] : ratios.items()) std::printf("%-40s %.2fx\n", key.c_str(), value.get<double>());
      std::printf("fused vs reference output: max |diff| %.2e of max |reference|\n", r.fused_max_rel_diff);
    }
    if (!a->json_path.empty()) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& t : r.rows)
        rows.push_back({{"name", t.name},
                        {"unavailable", t.unavailable},
                        {"forward_ms", t.forward.ms},
                        {"forward_median_ms", t.forward.median_ms},
                        {"forward_backward_ms", t.forward_backward.ms},
                        {"forward_backward_median_ms", t.forward_backward.median_ms}});
      nlohmann::json j = {{"device", card},
                          {"version", version_string()},
                          {"tokens", a->o.tokens},
                          {"heads", a->o.heads},
                          {"head_dim", a->o.head_dim},
                          {"batch", a->o.batch},
                          {"dtype", a->o.dtype},
                          {"repeats", a->o.repeats},
                          {"peak_gbs", r.peak_gbs},
                          {"forward_bytes", r.forward_bytes},
                          {"forward_backward_bytes", r.forward_backward_bytes},
                          {"fused_max_rel_diff", r.fused_max_rel_diff},
                          {"rows", rows},
                          {"ratios", ratios}};
      write_text_atomically(a->json_path, j.dump(2) + "\n");
    }
  });
}

// `bench transfer`: LinVideo transfer steps (mixed attention forward and backward through the
// student) with linear attention on the ATen reference, then on the fused kernels, in one process,
// on the same model, cache and settings.
void add_transfer_bench(CLI::App& bench) {
  auto* cmd = bench.add_subcommand(
      "transfer",
      "Transfer steps with linear attention on the ATen reference vs the fused kernels, in one run (the model's "
      "own size; a small trajectory cache is built first)");
  struct Args {
    std::string model, device = "cuda", work, json_path;
    std::int64_t steps = 30;
    int skip = 5;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "Model folder (default: the embedded shapes model)");
  cmd->add_option("--device", a->device, "cuda or cpu")->capture_default_str();
  cmd->add_option("--steps", a->steps, "Transfer steps timed per backend")->capture_default_str()->check(CLI::Range(2, 100000));
  cmd->add_option("--skip", a->skip, "First steps of each run left out of the median (warm-up)")->capture_default_str()
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--work", a->work, "Scratch folder for the cache and runs (default: a temporary one, removed after)");
  cmd->add_option("--json", a->json_path, "Also write the results as JSON here");
  cmd->callback([a] {
    bench::TransferBenchOptions o;
    o.model = a->model;
    o.device = a->device;
    o.work = a->work;
    o.steps = a->steps;
    o.skip = a->skip;
    const bench::TransferBenchResult result = bench::run_transfer_benchmark(o);
    const std::string& model = result.model;
    const auto& rows = result.rows;

    const std::string card = device_name(a->device);
    std::printf("device:   %s (%s)\n", card.c_str(), version_string().c_str());
    std::printf("model:    %s; %lld transfer steps per backend, median of the last %lld\n", model.c_str(),
                (long long)a->steps, (long long)(a->steps - a->skip));
    for (const auto& r : rows)
      std::printf("%-10s median %.2f ms per step (min %.2f, max %.2f)\n", r.backend.c_str(), r.stats.median_ms,
                  r.stats.min_ms, r.stats.max_ms);
    // The fused kernels are CUDA kernels: on the CPU both runs take the ATen reference, and their
    // ratio is noise, not a speed-up.
    const bool fused_ran = a->device == "cuda";
    const double speedup = fused_ran ? result.speedup() : 0.0;
    if (fused_ran)
      std::printf("speed-up: %.2fx (reference / fused median)\n", speedup);
    else
      std::printf("speed-up: not measured (the fused kernels run on CUDA only; on %s both runs took the ATen "
                  "reference)\n", a->device.c_str());
    if (!a->json_path.empty()) {
      nlohmann::json j = {{"device", card},
                          {"version", version_string()},
                          {"model", model},
                          {"steps", a->steps},
                          {"skip", a->skip},
                          {"reference_ms", rows[0].stats.ms},
                          {"fused_ms", rows[1].stats.ms},
                          {"reference_median_ms", rows[0].stats.median_ms},
                          {"fused_median_ms", rows[1].stats.median_ms},
                          {"speedup", fused_ran ? nlohmann::json(speedup) : nlohmann::json(nullptr)}};
      write_text_atomically(a->json_path, j.dump(2) + "\n");
    }
  });
}

}  // namespace

// `bench vae`: the VAE decode of one clip, the float32 conv3d reference and the paths generation
// uses, in one run.
void add_vae_bench(CLI::App& bench) {
  auto* cmd = bench.add_subcommand(
      "vae",
      "VAE decode of one clip: the float32 conv3d reference vs the paths generation uses (CPU: 2-D convolutions "
      "over the frames; CUDA: bf16, bf16 channels-last), in one run (random weights of the real shapes)");
  struct Args {
    bench::VaeBenchOptions o;
    std::string model = "2.1", json_path;
    bool verbose = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "2.1 (Wan2.1's VAE), a VAE config.json or a model folder (shapes only)")
      ->capture_default_str();
  cmd->add_option("--device", a->o.device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--frames", a->o.frames, "Decoded frames (4k+1)")->capture_default_str();
  cmd->add_option("--height", a->o.height, "Height in pixels")->capture_default_str();
  cmd->add_option("--width", a->o.width, "Width in pixels")->capture_default_str();
  cmd->add_option("--tile", a->o.tile_latent, "Tiled decode, tile in latent pixels (0 = off)")->capture_default_str();
  cmd->add_option("--warmup", a->o.warmup, "Untimed decodes of each first")->capture_default_str();
  cmd->add_option("--repeats", a->o.repeats, "Timed decodes of each (the median is reported)")->capture_default_str();
  cmd->add_option("--json", a->json_path, "Also write the results as JSON here");
  cmd->add_flag("-v,--verbose", a->verbose, "Print every run");
  cmd->callback([a] {
    a->o.config = bench::bench_vae_config(a->model);
    const auto r = bench::run_vae_benchmark(a->o, [&](const std::string& s) {
      if (a->verbose) std::fprintf(stderr, "%s\n", s.c_str());
    });
    const std::string card = device_name(a->o.device);
    std::printf("device:  %s (%s)\n", card.c_str(), version_string().c_str());
    std::printf("clip:    %lld frames at %lldx%lld (latent %s), base_dim %lld, %s; median of %d\n",
                (long long)a->o.frames, (long long)a->o.width, (long long)a->o.height, c10::str(r.latent).c_str(),
                (long long)a->o.config.base_dim,
                a->o.tile_latent > 0 ? ("tiles of " + std::to_string(a->o.tile_latent * 8) + " px").c_str() : "untiled",
                a->o.repeats);
    std::printf("%-20s %12s %10s %14s %12s\n", "", "decode ms", "vs ref", "peak memory", "rel. diff");
    nlohmann::json rows = nlohmann::json::array();
    const double base = r.rows.front().decode.median_ms;
    for (const auto& row : r.rows) {
      const double ratio = row.decode.median_ms > 0 ? base / row.decode.median_ms : 0;
      std::printf("%-20s %12.1f %9.2fx %14s %12.2e\n", row.name.c_str(), row.decode.median_ms, ratio,
                  gib(row.peak_bytes).c_str(), row.rel_diff);
      rows.push_back({{"name", row.name},
                      {"decode_ms", row.decode.ms},
                      {"decode_median_ms", row.decode.median_ms},
                      {"speedup_vs_reference", ratio},
                      {"peak_bytes", row.peak_bytes},
                      {"rel_diff_vs_reference", row.rel_diff}});
    }
    if (!a->json_path.empty()) {
      const nlohmann::json j = {{"device", card},          {"version", version_string()}, {"model", a->model},
                                {"frames", a->o.frames},   {"height", a->o.height},       {"width", a->o.width},
                                {"tile_latent", a->o.tile_latent}, {"repeats", a->o.repeats}, {"rows", rows}};
      write_text_atomically(a->json_path, j.dump(2) + "\n");
    }
  });
}

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
    a->o.config = bench::bench_dit_config(a->model);
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
      write_text_atomically(a->json_path, j.dump(2) + "\n");
    }
  });
  add_generation_bench(*bench);
  add_distill_bench(*bench);
  add_attention_bench(*bench);
  add_transfer_bench(*bench);
  add_vae_bench(*bench);
}

}  // namespace linvideo::cli
