// `linvideo transfer`: LinVideo post-training of a teacher (selective transfer + ADM or MSE) on a
// data-free trajectory cache, with a terminal progress bar; Ctrl-C checkpoints and stops.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "app/linvideo/run_control.h"
#include "app/linvideo/commands.h"
#include "app/linvideo/prompt_file.h"
#include "core/error.h"
#include "core/linvideo/sidecar.h"
#include "core/linvideo/trajectory_cache.h"
#include "core/linvideo/transfer.h"
#include "core/model/wan_dit.h"
#include "core/pipeline/model_loader.h"
#include "core/train/training_state.h"

namespace linvideo::cli {
namespace {
namespace fs = std::filesystem;



struct Args {
  std::string model, prompts, device = "auto", cache, layers;
  linvideo_method::TransferOptions o;
  int seeds = 1, cache_steps = 0;
  bool resume = false;
};

void run(Args& a) {
  if (a.o.run_dir.empty()) throw Error("transfer: give --run DIR");
  const train::Progress progress = train::read_progress(a.o.run_dir);
  if (progress.step > 0 && !a.resume) {
    throw Error("transfer: " + a.o.run_dir + " already holds a run at step " + std::to_string(progress.step) +
                "; pass --resume to continue it, or choose a new --run folder");
  }
  const std::string model = a.model.empty() ? pipeline::default_model_dir() : a.model;
  auto t2v = pipeline::load_text_to_video(pipeline::resolve_model_folder(model),
                                          pipeline::RuntimePolicy::make(a.device, "auto"));
  const int layers = static_cast<int>(t2v->dit().num_layers());
  if (!a.layers.empty()) {
    a.o.fixed_linear = linvideo_method::parse_layer_list(a.layers, layers, "--layers");
    a.o.target_linear = static_cast<std::int64_t>(a.o.fixed_linear.size());
  }
  pipeline::CancelToken cancel;
  const SigintCancels sigint(cancel);

  // 1. The data-free training set (built, or resumed, or reused).
  a.o.cache_dir = a.cache.empty() ? (fs::path(a.o.run_dir) / "cache").string() : a.cache;
  if (!a.prompts.empty()) {
    linvideo_method::CacheOptions c;
    c.dir = a.o.cache_dir;
    c.seeds = a.seeds;
    c.prompts = read_prompt_lines(a.prompts);
    auto base = pipeline::model_defaults(model, pipeline::GenerationSettings{});
    if (a.cache_steps > 0) base.steps = a.cache_steps;
    const auto s = linvideo_method::build_trajectory_cache(
        *t2v, base, c, [](const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); }, &cancel);
    std::fprintf(stderr, "cache %s: %lld trajectories, %lld states, %.1f MB\n", c.dir.c_str(), (long long)s.shards,
                 (long long)s.states, s.bytes / 1e6);
    if (cancel.cancelled()) {
      std::fprintf(stderr, "cancelled while caching; run the same command again to resume\n");
      throw CLI::RuntimeError(130);
    }
  } else if (!fs::exists(fs::path(a.o.cache_dir) / "index.json")) {
    throw Error("transfer: give --prompts FILE (to build the trajectory cache) or --cache DIR");
  }

  // 2. Training, with a one-line progress bar (log lines start on a fresh line).
  ProgressLine line;
  const auto result = linvideo_method::run_transfer(
      *t2v, a.o,
      [&](const linvideo_method::TransferStep& s) {
        std::string detail;
        char buf[64];
        for (const auto& [name, v] : s.losses) {
          std::snprintf(buf, sizeof buf, " %s %.4g", name.c_str(), v);
          detail += buf;
        }
        std::snprintf(buf, sizeof buf, "  linear %d/%d  %.2f s/step", s.linear_now, layers, s.step_seconds);
        line.step(s.step, s.total, detail + buf, s.eta_seconds);
      },
      [&](const std::string& m) { line.log(m); }, &cancel);
  line.finish();
  if (result.cancelled) {
    report_cancelled(result.steps_done, a.o.run_dir);
    throw CLI::RuntimeError(130);
  }
  std::string list;
  for (int l : result.linear_layers) list += (list.empty() ? "" : ",") + std::to_string(l);
  std::printf("transfer: %lld steps in %.1f s; linear layers (from 1): %s\n", (long long)result.steps_done,
              result.seconds, list.c_str());
  std::printf("sidecar: %s  (use: linvideo generate --sidecar %s)\n", result.sidecar.c_str(), result.sidecar.c_str());
}

}  // namespace

void add_transfer_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "transfer", "LinVideo post-training: choose and train k linear layers (ADM or MSE) on the teacher's own trajectories");
  auto a = std::make_shared<Args>();
  auto& o = a->o;
  cmd->add_option("--model", a->model, "Teacher model folder (default: the embedded shapes model)");
  cmd->add_option("--target", o.target_linear, "k: how many layers end linear");
  cmd->add_option("--objective", o.objective, "adm or mse")->check(CLI::IsMember({"adm", "mse"}))->capture_default_str();
  cmd->add_option("--steps", o.steps, "Training steps")->capture_default_str();
  cmd->add_option("--prompts", a->prompts, "Prompts file: builds (or resumes) the trajectory cache in RUN/cache");
  cmd->add_option("--cache", a->cache, "Use this trajectory cache instead of RUN/cache");
  cmd->add_option("--seeds", a->seeds, "Cache: seeds per prompt")->capture_default_str();
  cmd->add_option("--cache-steps", a->cache_steps, "Cache: sampler steps (0: the model's default)")->capture_default_str();
  cmd->add_option("--run", o.run_dir, "Run folder: config.json, metrics.jsonl, checkpoints, linvideo.safetensors")->required();
  cmd->add_flag("--resume", a->resume, "Continue the run in --run from its last checkpoint");
  cmd->add_option("--layers", a->layers, "No selection: make exactly these layers linear (1-based, e.g. 2-5,7)");
  cmd->add_option("--lr", o.lr, "AdamW learning rate of W_q, W_k")->capture_default_str();
  cmd->add_option("--lr-r", o.lr_r, "AdamW learning rate of the scores r")->capture_default_str();
  cmd->add_option("--lambda", o.lambda, "Weight of L_con + L_reg")->capture_default_str();
  cmd->add_option("--r-init", o.r_init, "Initial score r of every layer (1 = softmax)")->capture_default_str();
  cmd->add_option("--rollout", o.rollout_max, "ADM: at most this many student steps from a cached state (M)")->capture_default_str();
  cmd->add_option("--t-min", o.t_min, "ADM: clip t below at this value")->capture_default_str();
  cmd->add_option("--batch", o.batch, "Cached states per step")->capture_default_str();
  cmd->add_option("--warmup", o.warmup_steps, "Attention-transfer warm-up steps per layer (0: identity W)")->capture_default_str();
  cmd->add_option("--init-sidecar", o.init_sidecar,
                  "Start W_q, W_k from this sidecar's maps instead of the warm-up (a second training phase)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--grad-checkpoint", o.gradient_checkpointing,
                  "Per-block gradient checkpointing: auto (on for CUDA), on or off")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  cmd->add_option("--precision", o.precision, "auto (bf16 autocast on CUDA, fp32 on the CPU), fp32 or bf16")
      ->check(CLI::IsMember({"auto", "fp32", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", o.checkpoint_every)->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of the step draws")->capture_default_str();
  cmd->add_option("--device", a->device, "auto, cpu or cuda")->capture_default_str();
  cmd->callback([a] { run(*a); });
}

}  // namespace linvideo::cli
