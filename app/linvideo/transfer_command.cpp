// `linvideo transfer`: LinVideo post-training of a teacher (selective transfer + ADM or MSE) on a
// data-free trajectory cache, with a terminal progress bar; Ctrl-C checkpoints and stops.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/linvideo/commands.h"
#include "core/prompts_file.h"
#include "app/linvideo/run_control.h"
#include "core/engine/engine.h"
#include "core/error.h"

namespace linvideo::cli {
namespace {

struct Args {
  std::string model, prompts, device = "auto";
  engine::TransferRequest request;
};

void run(Args& a) {
  engine::TransferRequest& r = a.request;
  r.install = false;  // the process ends with the run: nothing to install into
  engine::check_run_folder("transfer", r.options.run_dir, r.resume);  // before the model loads
  if (!a.prompts.empty()) r.cache.prompts = read_prompt_lines(a.prompts);
  engine::LoadRequest load;
  load.folder = a.model;
  load.device = a.device;
  engine::Engine engine;
  engine.load(load);
  const int layers = static_cast<int>(engine.facts().num_layers);
  pipeline::CancelToken cancel;
  const SigintCancels sigint(cancel);

  ProgressLine line;
  engine::TrainCallbacks cb;
  cb.cancel = &cancel;
  cb.on_log = [&](const std::string& m) { line.log(m); };
  cb.on_cache = [&](std::int64_t done, std::int64_t total) {
    line.step(done, total, "  trajectory cache", -1);
  };
  cb.on_transfer_step = [&](const method::TransferStep& s) {
    std::string detail;
    char buf[64];
    for (const auto& [name, v] : s.losses) {
      std::snprintf(buf, sizeof buf, " %s %.4g", name.c_str(), v);
      detail += buf;
    }
    std::snprintf(buf, sizeof buf, "  linear %d/%d  %.2f s/step", s.linear_now, layers, s.step_seconds);
    line.step(s.step, s.total, detail + buf, s.eta_seconds);
  };
  const engine::TransferOutcome out = engine.transfer(r, cb);
  line.finish();
  if (out.cancelled_while_caching) {
    std::fprintf(stderr, "cancelled while caching; run the same command again to resume\n");
    throw CLI::RuntimeError(130);
  }
  if (out.run.cancelled) {
    report_cancelled(out.run.steps_done, r.options.run_dir);
    throw CLI::RuntimeError(130);
  }
  std::string list;
  for (int l : out.run.linear_layers) list += (list.empty() ? "" : ",") + std::to_string(l);
  std::printf("transfer: %lld steps in %.1f s; linear layers (from 1): %s\n", (long long)out.run.steps_done,
              out.run.seconds, list.c_str());
  std::printf("sidecar: %s  (use: linvideo generate --sidecar %s)\n", out.run.sidecar.c_str(), out.run.sidecar.c_str());
}

}  // namespace

void add_transfer_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "transfer", "LinVideo post-training: choose and train k linear layers (ADM or MSE) on the teacher's own trajectories");
  auto a = std::make_shared<Args>();
  auto& o = a->request.options;
  auto& c = a->request.cache;
  cmd->add_option("--model", a->model, "Teacher model folder (default: the embedded shapes model)");
  cmd->add_option("--target", o.target_linear, "k: how many layers end linear");
  cmd->add_option("--objective", o.objective, "adm or mse")->check(CLI::IsMember({"adm", "mse"}))->capture_default_str();
  cmd->add_option("--steps", o.steps, "Training steps")->capture_default_str();
  cmd->add_option("--prompts", a->prompts, "Prompts file: builds (or resumes) the trajectory cache in RUN/cache");
  cmd->add_option("--cache", o.cache_dir, "Use this trajectory cache instead of RUN/cache");
  cmd->add_option("--seeds", c.seeds, "Cache: seeds per prompt")->capture_default_str();
  cmd->add_option("--cache-steps", c.steps, "Cache: sampler steps (0: the model's default)")->capture_default_str();
  cmd->add_option("--run", o.run_dir, "Run folder: config.json, metrics.jsonl, checkpoints, linvideo.safetensors")->required();
  cmd->add_flag("--resume", a->request.resume, "Continue the run in --run from its last checkpoint");
  cmd->add_option("--layers", a->request.layers, "No selection: make exactly these layers linear (1-based, e.g. 2-5,7)");
  cmd->add_option("--lr", o.lr, "AdamW learning rate of W_q, W_k")->capture_default_str();
  cmd->add_option("--lr-schedule", o.lr_schedule, "The maps' rate: cosine (decays to lr x --lr-min-ratio) or constant")
      ->check(CLI::IsMember({"cosine", "constant"}))
      ->capture_default_str();
  cmd->add_option("--lr-min-ratio", o.lr_min_ratio, "Cosine: the last step's rate as a fraction of --lr")->capture_default_str();
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
