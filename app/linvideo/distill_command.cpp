// `linvideo distill`: DMD2 few-step distillation of a LinVideo model (base + sidecar) with a
// terminal progress bar; Ctrl-C checkpoints and stops (exit 130), --resume continues exactly.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "app/linvideo/run_control.h"
#include "app/linvideo/commands.h"
#include "app/linvideo/prompt_file.h"
#include "core/error.h"
#include "core/linvideo/distill.h"
#include "core/pipeline/model_loader.h"
#include "core/train/training_state.h"

namespace linvideo::cli {
namespace {



struct Args {
  std::string model, prompts, device = "auto";
  linvideo_method::DistillOptions o;
  int student_steps = 0;
  bool resume = false;
};

void run(Args& a, const CLI::App& cmd) {
  if (a.o.run_dir.empty()) throw Error("distill: give --run DIR");
  const train::Progress progress = train::read_progress(a.o.run_dir);
  if (progress.step > 0 && !a.resume) {
    throw Error("distill: " + a.o.run_dir + " already holds a run at step " + std::to_string(progress.step) +
                "; pass --resume to continue it, or choose a new --run folder");
  }
  // --student-steps N alone: N timesteps evenly spaced from 1000 (4: 1000 750 500 250).
  if (cmd.count("--student-steps") && !cmd.count("--student-timesteps")) {
    if (a.student_steps < 1) throw Error("distill: --student-steps must be >= 1, got " + std::to_string(a.student_steps));
    a.o.student_timesteps.clear();
    for (int i = 0; i < a.student_steps; ++i) a.o.student_timesteps.push_back(1000.0 - 1000.0 * i / a.student_steps);
  }
  const std::string model = a.model.empty() ? pipeline::default_model_dir() : a.model;
  a.o.settings = pipeline::model_defaults(model, pipeline::GenerationSettings{});
  if (!a.prompts.empty()) a.o.prompts = read_prompt_lines(a.prompts);
  auto t2v = pipeline::load_text_to_video(pipeline::resolve_model_folder(model),
                                          pipeline::RuntimePolicy::make(a.device, "auto"));
  pipeline::CancelToken cancel;
  const SigintCancels sigint(cancel);

  ProgressLine line;
  const auto result = linvideo_method::run_distill(
      *t2v, a.o,
      [&](const linvideo_method::DistillStep& s) {
        char detail[128];
        std::snprintf(detail, sizeof detail, "  dm %.4g  critic %.4g  gap %.4g  %.2f s/step", s.dm_loss, s.critic_loss,
                      s.gap, s.step_seconds);
        line.step(s.step, s.total, detail, s.eta_seconds);
      },
      [&](const std::string& m) { line.log(m); }, &cancel);
  line.finish();
  if (result.cancelled) {
    report_cancelled(result.steps_done, a.o.run_dir);
    throw CLI::RuntimeError(130);
  }
  std::printf("distill: %lld generator steps in %.1f s (%.2f s per step)\n", (long long)result.steps_done,
              result.seconds, result.seconds / std::max<std::int64_t>(1, result.steps_done));
  std::printf("student: %s  (use: linvideo generate --model %s --student %s)\n", result.student.c_str(), model.c_str(),
              result.student.c_str());
}

}  // namespace

void add_distill_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "distill", "Few-step distillation (DMD2) of a LinVideo model: teacher with CFG, trained critic, 4-step student");
  auto a = std::make_shared<Args>();
  auto& o = a->o;
  cmd->add_option("--model", a->model, "Base model folder, the teacher (default: the embedded shapes model)");
  cmd->add_option("--sidecar,--linvideo", o.sidecar, "The LinVideo sidecar the student starts from")->required()->check(CLI::ExistingFile);
  cmd->add_option("--steps", o.steps, "Generator updates")->capture_default_str();
  cmd->add_option("--run", o.run_dir, "Run folder: config.json, metrics.jsonl, checkpoints, student.safetensors")->required();
  cmd->add_flag("--resume", a->resume, "Continue the run in --run from its last checkpoint");
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
