// `linvideo distill`: DMD2 few-step distillation of a LinVideo model (base + sidecar) with a
// terminal progress bar; Ctrl-C checkpoints and stops (exit 130), --resume continues exactly.
#include <CLI/CLI.hpp>
#include <algorithm>
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
  engine::DistillRequest request;
  int student_steps = 0;
};

void run(Args& a, const CLI::App& cmd) {
  engine::DistillRequest& r = a.request;
  method::DistillOptions& o = r.options;
  engine::check_run_folder("distill", o.run_dir, r.resume);  // before the model loads
  // --student-steps N alone: N timesteps evenly spaced from 1000 (4: 1000 750 500 250).
  if (cmd.count("--student-steps") && !cmd.count("--student-timesteps")) {
    if (a.student_steps < 1) throw Error("distill: --student-steps must be >= 1, got " + std::to_string(a.student_steps));
    o.student_timesteps.clear();
    for (int i = 0; i < a.student_steps; ++i) o.student_timesteps.push_back(1000.0 - 1000.0 * i / a.student_steps);
  }
  if (!a.prompts.empty()) o.prompts = read_prompt_lines(a.prompts);
  engine::LoadRequest load;
  load.folder = a.model;
  load.device = a.device;
  engine::Engine engine;
  engine.load(load);
  pipeline::CancelToken cancel;
  const SigintCancels sigint(cancel);

  ProgressLine line;
  engine::TrainCallbacks cb;
  cb.cancel = &cancel;
  cb.on_log = [&](const std::string& m) { line.log(m); };
  cb.on_distill_step = [&](const method::DistillStep& s) {
    char detail[128];
    std::snprintf(detail, sizeof detail, "  dm %.4g  critic %.4g  gap %.4g  %.2f s/step", s.dm_loss, s.critic_loss,
                  s.gap, s.step_seconds);
    line.step(s.step, s.total, detail, s.eta_seconds);
  };
  const auto result = engine.distill(r, cb);
  line.finish();
  if (result.cancelled) {
    report_cancelled(result.steps_done, o.run_dir);
    throw CLI::RuntimeError(130);
  }
  std::printf("distill: %lld generator steps in %.1f s (%.2f s per step)\n", (long long)result.steps_done,
              result.seconds, result.seconds / std::max<std::int64_t>(1, result.steps_done));
  const std::string model = a.model.empty() ? engine.folder() : a.model;
  std::printf("student: %s  (use: linvideo generate --model %s --student %s)\n", result.student.c_str(), model.c_str(),
              result.student.c_str());
}

}  // namespace

void add_distill_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "distill", "Few-step distillation (DMD2) of a LinVideo model: teacher with CFG, trained critic, 4-step student");
  auto a = std::make_shared<Args>();
  auto& o = a->request.options;
  cmd->add_option("--model", a->model, "Base model folder, the teacher (default: the embedded shapes model)");
  cmd->add_option("--sidecar,--linvideo", o.sidecar, "The LinVideo sidecar the student starts from (default: the model folder's shipped one)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--steps", o.steps, "Generator updates")->capture_default_str();
  cmd->add_option("--run", o.run_dir, "Run folder: config.json, metrics.jsonl, checkpoints, student.safetensors")->required();
  cmd->add_flag("--resume", a->request.resume, "Continue the run in --run from its last checkpoint");
  cmd->add_option("--prompts", a->prompts, "Prompts file (one a line), encoded once")->check(CLI::ExistingFile);
  cmd->add_option("--cache", o.cache_dir, "Or: the prompts of this trajectory cache (linvideo cache)");
  cmd->add_option("--student-steps", a->student_steps, "Student steps, timesteps evenly spaced from 1000 (default 4)");
  cmd->add_option("--student-timesteps", o.student_timesteps, "Student timesteps before the shift, e.g. 1000 750 500 250")
      ->delimiter(',');
  cmd->add_option("--shift", o.shift, "Shift of the student schedule and the t draws (default: the model's)");
  cmd->add_option("--guidance", o.guidance, "Teacher CFG scale (default: the model's)");
  cmd->add_option("--critic-updates", o.critic_updates, "Critic updates per generator update")->capture_default_str();
  cmd->add_option("--lr-gen", o.lr_generator, "AdamW (betas 0, 0.999) learning rate of the student")->capture_default_str();
  cmd->add_option("--lr-critic", o.lr_critic, "AdamW (betas 0, 0.999) learning rate of the critic")->capture_default_str();
  cmd->add_option("--weight-decay", o.weight_decay)->capture_default_str();
  cmd->add_option("--ema-decay", o.ema_decay, "EMA of the student (the exported weights)")->capture_default_str();
  cmd->add_option("--t-low", o.t_low, "Lowest DM/critic time before the shift")->capture_default_str();
  cmd->add_option("--t-high", o.t_high, "Highest DM/critic time before the shift")->capture_default_str();
  cmd->add_option("--grad-checkpoint", o.gradient_checkpointing, "Per-block gradient checkpointing of student and critic: auto (on for CUDA), on or off")
      ->capture_default_str();
  cmd->add_option("--precision", o.precision, "auto (bf16 autocast on CUDA, fp32 on the CPU), fp32 or bf16")->capture_default_str();
  cmd->add_option("--checkpoint-every", o.checkpoint_every)->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of the step draws")->capture_default_str();
  cmd->add_option("--device", a->device, "auto, cpu or cuda")->capture_default_str();
  cmd->callback([a, cmd] { run(*a, *cmd); });
}

}  // namespace linvideo::cli
