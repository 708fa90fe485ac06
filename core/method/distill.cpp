#include "core/method/distill.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <tuple>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/atomic_write.h"
#include "core/method/objectives.h"
#include "core/method/sidecar.h"
#include "core/method/student.h"
#include "core/method/trajectory_cache.h"
#include "core/model/attention_scope.h"
#include "core/model/autocast.h"
#include "core/model/wan_dit.h"
#include "core/sampling/flow_schedule.h"
#include "core/train/training_state.h"

namespace fs = std::filesystem;

namespace linvideo::method {
namespace {

using model::AttentionMode;
using model::TextCondition;
using model::WanDiT;
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

void validate(const DistillOptions& o) {
  auto bad = [](const std::string& what) { return Error("distill: " + what); };
  if (o.run_dir.empty()) throw bad("no run folder (--run)");
  if (o.sidecar.empty()) throw bad("--sidecar: give the LinVideo sidecar the student starts from");
  if (o.prompts.empty() && o.cache_dir.empty()) throw bad("give --prompts FILE or --cache DIR");
  if (o.steps < 0) throw bad("--steps must be >= 0, got " + std::to_string(o.steps));
  if (o.critic_updates < 1) throw bad("--critic-updates must be >= 1, got " + std::to_string(o.critic_updates));
  if (!(o.lr_generator > 0)) throw bad("--lr-gen must be > 0");
  if (!(o.lr_critic > 0)) throw bad("--lr-critic must be > 0");
  if (!(o.beta2 > 0 && o.beta2 < 1)) throw bad("--beta2 must be in (0, 1)");
  if (o.weight_decay < 0) throw bad("--weight-decay must be >= 0");
  if (!(o.t_low > 0 && o.t_low < o.t_high && o.t_high < 1)) throw bad("--t-low/--t-high must satisfy 0 < low < high < 1");
  if (!(o.ema_decay >= 0 && o.ema_decay < 1)) throw bad("--ema-decay must be in [0, 1)");
  if (o.checkpoint_every < 1) throw bad("--checkpoint-every must be >= 1");
  if (o.precision != "auto" && o.precision != "fp32" && o.precision != "bf16") {
    throw bad("--precision must be auto, fp32 or bf16, got '" + o.precision + "'");
  }
  if (o.gradient_checkpointing != "auto" && o.gradient_checkpointing != "on" && o.gradient_checkpointing != "off") {
    throw bad("--grad-checkpoint must be auto, on or off, got '" + o.gradient_checkpointing + "'");
  }
}

// The teacher's layer modes, set to softmax for the run and restored on scope exit.
class SoftmaxTeacher {
 public:
  explicit SoftmaxTeacher(WanDiT& dit) : modes_(dit, model::AttentionStateScope::Depth::Modes) {
    for (std::int64_t l = 0; l < dit.num_layers(); ++l) dit.attention_state(l).mode = AttentionMode::Softmax;
  }

 private:
  model::AttentionStateScope modes_;
};

// A trainable float32 copy of `source`'s weights (the master weights AdamW updates, whatever dtype
// the teacher was loaded in); attention states start as softmax without maps.
std::unique_ptr<WanDiT> trainable_copy(const WanDiT& source) {
  model::DitLoadOptions options = source.options();
  options.dtype = at::kFloat;
  auto copy = WanDiT::random(source.config(), options, 0);
  at::NoGradGuard no_grad;
  const NamedTensors from = source.named_weights(), to = copy->named_weights();
  for (std::size_t i = 0; i < to.size(); ++i) to[i].second.copy_(from[i].second);
  return copy;
}

at::Tensor velocity(const WanDiT& dit, const at::Tensor& x, double sigma, const TextCondition& cond) {
  return dit.forward(x, at::full({x.size(0)}, sigma * 1000.0, x.options().dtype(at::kFloat)), cond);
}

// The student's sample at step k of its schedule, from noise: Euler along the listed sigmas through
// steps 0..k-1 without gradient (backward simulation), then step k, with gradient when recording,
// and its x0 = x_k - sigma_k v. The same Euler steps as few-step generation.
at::Tensor student_x0(const WanDiT& student, const at::Tensor& noise, const at::Tensor& context,
                      const std::vector<double>& sigmas, int k) {
  at::Tensor x = noise;
  {
    at::NoGradGuard no_grad;
    const TextCondition cond = student.encode_condition(context);
    for (int j = 0; j < k; ++j) {
      const std::size_t i = static_cast<std::size_t>(j);
      x = x + (sigmas[i + 1] - sigmas[i]) * velocity(student, x, sigmas[i], cond);
    }
  }
  // The text MLP and cross-attention projections train too: their condition is part of the graph.
  const TextCondition cond = student.encode_condition(context);
  const double s = sigmas[static_cast<std::size_t>(k)];
  return x - s * velocity(student, x, s, cond);
}

std::vector<at::Tensor> grads_of(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> g;
  for (const auto& p : params) g.push_back(p.grad());
  return g;
}

struct Context {
  at::Tensor positive, negative;  // [1, L, text_dim] on the device
};

}  // namespace

DistillResult run_distill(pipeline::TextToVideo& t2v, const DistillOptions& o,
                          const std::function<void(const DistillStep&)>& on_step,
                          const std::function<void(const std::string&)>& log, const pipeline::CancelToken* cancel) {
  const auto start_time = std::chrono::steady_clock::now();
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  validate(o);
  WanDiT& teacher = t2v.dit();
  const at::Device device = teacher.options().device;
  const double shift = o.shift > 0 ? o.shift : o.settings.shift;
  const double guidance = o.guidance >= 0 ? o.guidance : o.settings.guidance;
  const FewStepSchedule schedule = make_few_step_schedule(o.student_timesteps, shift);
  std::vector<double> sigmas = schedule.sigmas;
  sigmas.push_back(0.0);
  const int K = static_cast<int>(schedule.sigmas.size());
  const std::vector<std::int64_t> latent = t2v.latent_shape(o.settings.frames, o.settings.height, o.settings.width);
  const bool bf16 = o.precision == "bf16" || (o.precision == "auto" && device.is_cuda());
  const bool checkpointing = o.gradient_checkpointing == "on" || (o.gradient_checkpointing == "auto" && device.is_cuda());

  // The run's identity: a resumed run must be the same run.
  const fs::path run(o.run_dir);
  fs::create_directories(run);
  nlohmann::json config = {
      {"sidecar", o.sidecar}, {"prompts", o.prompts}, {"cache", o.cache_dir}, {"steps", o.steps},
      {"student_timesteps", o.student_timesteps}, {"shift", shift}, {"guidance", guidance},
      {"critic_updates", o.critic_updates}, {"lr_generator", o.lr_generator}, {"lr_critic", o.lr_critic},
      {"betas", {0.0, o.beta2}}, {"weight_decay", o.weight_decay}, {"t_range", {o.t_low, o.t_high}},
      {"normalize", o.normalize}, {"ema_decay", o.ema_decay}, {"seed", o.seed}, {"latent", latent},
      {"negative_prompt", pipeline::TextToVideo::negative_prompt_of(o.settings)},
      {"precision", bf16 ? "bf16" : "fp32"}, {"gradient_checkpointing", checkpointing},
      {"layers", teacher.num_layers()}};
  // The cache's contents, not just its folder (runs from before the digest existed are taken to
  // have used this cache).
  nlohmann::json older_defaults = nlohmann::json::object();
  if (!o.cache_dir.empty()) older_defaults["cache_digest"] = config["cache_digest"] = trajectory_cache_digest(o.cache_dir);
  train::Progress progress = train::read_progress(o.run_dir);
  train::claim_run_config(o.run_dir, config, progress.step, older_defaults);

  // Text contexts, encoded once (the encoder is frozen).
  std::vector<Context> contexts;
  if (!o.prompts.empty()) {
    const at::Tensor negative = t2v.encode_prompt(pipeline::TextToVideo::negative_prompt_of(o.settings), log).to(device);
    for (const auto& p : o.prompts) contexts.push_back({t2v.encode_prompt(p, log).to(device), negative});
  } else {
    for (const auto& c : read_trajectory_cache(o.cache_dir).trajectories) {
      contexts.push_back({c.context.to(device), c.negative_context.to(device)});
    }
    if (contexts.empty()) throw Error("distill: " + o.cache_dir + ": the trajectory cache holds no trajectories");
  }

  // The three models. The teacher's conditions are computed once; the student's and the critic's
  // text projections train, so theirs are computed in every pass.
  const SoftmaxTeacher teacher_modes(teacher);
  std::vector<std::pair<TextCondition, TextCondition>> teacher_conditions;
  {
    at::NoGradGuard no_grad;
    for (const auto& c : contexts) {
      teacher_conditions.emplace_back(teacher.encode_condition(c.positive), teacher.encode_condition(c.negative));
    }
  }
  const auto student = trainable_copy(teacher);
  load_sidecar(o.sidecar, *student);
  const auto critic = trainable_copy(teacher);
  student->set_gradient_checkpointing(checkpointing);
  critic->set_gradient_checkpointing(checkpointing);

  NamedTensors student_named = student->named_weights();
  for (std::int64_t l = 0; l < student->num_layers(); ++l) {
    auto& st = student->attention_state(l);
    if (st.mode == AttentionMode::Softmax) continue;  // unused maps would get no gradient
    student_named.emplace_back("blocks." + std::to_string(l) + ".w_q", st.w_q);
    student_named.emplace_back("blocks." + std::to_string(l) + ".w_k", st.w_k);
  }
  std::vector<at::Tensor> student_params, critic_params, ema;
  NamedTensors checkpointed;
  for (auto& [name, t] : student_named) {
    t.requires_grad_(true);
    student_params.push_back(t);
    checkpointed.emplace_back("student." + name, t);
  }
  for (auto& [name, t] : student_named) {
    ema.push_back(t.detach().clone());
    checkpointed.emplace_back("ema." + name, ema.back());
  }
  for (auto& [name, t] : critic->named_weights()) {
    t.requires_grad_(true);
    critic_params.push_back(t);
    checkpointed.emplace_back("critic." + name, t);
  }
  auto adamw = [&](double lr) {
    return torch::optim::AdamWOptions(lr).betas(std::make_tuple(0.0, o.beta2)).weight_decay(o.weight_decay);
  };
  torch::optim::AdamW generator_opt(student_params, adamw(o.lr_generator));
  torch::optim::AdamW critic_opt(critic_params, adamw(o.lr_critic));
  const train::NamedOptimizers optimizers = {{"generator", &generator_opt}, {"critic", &critic_opt}};

  const fs::path metrics = run / "metrics.jsonl";
  if (progress.step > 0) {
    if (const std::string note = train::load_checkpoint(o.run_dir, progress, checkpointed, optimizers); !note.empty())
      say(note);
    train::truncate_metrics(metrics.string(), progress.step);  // steps after the checkpoint will be redone exactly
    say("resumed at step " + std::to_string(progress.step) + " of " + std::to_string(o.steps));
  } else if (fs::exists(metrics)) {
    fs::remove(metrics);
  }
  say(std::string("distill: ") + std::to_string(K) + "-step student, " + std::to_string(contexts.size()) +
      " prompts, teacher CFG " + std::to_string(guidance) + ", " + std::to_string(o.critic_updates) +
      " critic updates per generator update; precision " + (bf16 ? "bf16 autocast, fp32 master weights" : "fp32") +
      "; gradient checkpointing " + (checkpointing ? "on" : "off"));

  std::int64_t last_saved = progress.step;
  auto stop = [&](std::int64_t step, const std::string& what) {
    return Error("distill: non-finite " + what + " at step " + std::to_string(step) +
                 "; stopped, the last good checkpoint (step " + std::to_string(last_saved) + ") is kept in " + o.run_dir);
  };
  auto save = [&](std::int64_t step) { train::save_checkpoint(o.run_dir, step, checkpointed, optimizers, {}); };

  DistillResult result;
  double step_time_ema = 0;
  const auto n_prompts = static_cast<std::int64_t>(contexts.size());
  const auto float_options = at::TensorOptions().dtype(at::kFloat);
  for (std::int64_t step = progress.step; step < o.steps; ++step) {
    if (cancel && cancel->cancelled()) {
      result.cancelled = true;
      break;
    }
    const auto t0 = std::chrono::steady_clock::now();
    // Every random draw of a step derives from (seed, step), on the CPU: a resumed run repeats it.
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(o.seed * 1000003ull + static_cast<std::uint64_t>(step) + 29);
    auto draw = [&](std::int64_t n) { return at::randint(n, {1}, gen, at::TensorOptions().dtype(at::kLong)).item<std::int64_t>(); };
    auto draw_sigma = [&] {
      const double u = o.t_low + (o.t_high - o.t_low) * at::rand({1}, gen, at::TensorOptions().dtype(at::kDouble)).item<double>();
      return sampling::shift_sigma(u, shift);
    };
    auto noise = [&] { return at::randn(latent, gen, float_options).to(device); };
    DistillStep info;
    info.step = step + 1, info.total = o.steps;

    // 1. The critic learns the student's current output distribution (flow matching on its samples).
    for (int c = 0; c < o.critic_updates; ++c) {
      const auto& ctx = contexts[static_cast<std::size_t>(draw(n_prompts))];
      const int k = static_cast<int>(draw(K));
      const at::Tensor z = noise();
      at::Tensor x0;
      {
        const at::NoGradGuard no_grad;
        const model::AutocastScope autocast(device.type(), bf16);
        x0 = student_x0(*student, z, ctx.positive, sigmas, k).to(at::kFloat);
      }
      const double sigma = draw_sigma();
      const at::Tensor eps = noise();
      const at::Tensor x_sigma = (1 - sigma) * x0 + sigma * eps;
      critic_opt.zero_grad();
      at::Tensor loss;
      {
        const model::AutocastScope autocast(device.type(), bf16);
        loss = flow_matching_loss(velocity(*critic, x_sigma, sigma, critic->encode_condition(ctx.positive)), x0, eps);
      }
      loss.backward();
      const double value = loss.item<double>();
      if (!std::isfinite(value) || !train::all_finite(grads_of(critic_params))) throw stop(step + 1, "critic loss or gradient");
      critic_opt.step();
      info.critic_loss += value / o.critic_updates;
    }

    // 2. The generator: its own sample at a random step of the schedule, noised to a random sigma;
    // the teacher (CFG) and the critic score it, and g = sigma (v_real - v_fake) pushes its x0.
    {
      const std::size_t i = static_cast<std::size_t>(draw(n_prompts));
      const auto& ctx = contexts[i];
      const int k = static_cast<int>(draw(K));
      const at::Tensor z = noise();
      const double sigma = draw_sigma();
      const at::Tensor eps = noise();
      generator_opt.zero_grad();
      at::Tensor loss;
      {
        const model::AutocastScope autocast(device.type(), bf16);
        const at::Tensor x0 = student_x0(*student, z, ctx.positive, sigmas, k).to(at::kFloat);
        at::Tensor real, fake;
        {
          const at::NoGradGuard no_grad;
          const at::Tensor x_sigma = (1 - sigma) * x0.detach() + sigma * eps;
          const auto& [pos, neg] = teacher_conditions[i];
          real = velocity(teacher, x_sigma, sigma, pos);
          if (guidance != 1.0) {
            const at::Tensor uncond = velocity(teacher, x_sigma, sigma, neg);
            real = uncond + guidance * (real - uncond);
          }
          fake = velocity(*critic, x_sigma, sigma, critic->encode_condition(ctx.positive));
          info.gap = (real - fake).pow(2).mean().item<double>();
        }
        const at::Tensor g = dmd_gradient(real, fake, at::full({1}, sigma, float_options.device(device)), o.normalize);
        // Mean over elements (the surrogate sums them), so the loss is O(1) for every latent size.
        loss = dmd_surrogate(x0, g) / static_cast<double>(x0[0].numel());
      }
      loss.backward();
      info.dm_loss = loss.item<double>();
      info.student_step = k;
      if (!std::isfinite(info.dm_loss) || !train::all_finite(grads_of(student_params))) throw stop(step + 1, "generator loss or gradient");
      generator_opt.step();
      if (!train::all_finite(student_params)) throw stop(step + 1, "student weight");
      at::NoGradGuard no_grad;
      for (std::size_t p = 0; p < ema.size(); ++p) ema[p].mul_(o.ema_decay).add_(student_params[p].detach(), 1.0 - o.ema_decay);
    }

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    step_time_ema = step_time_ema == 0 ? seconds : 0.9 * step_time_ema + 0.1 * seconds;
    info.step_seconds = seconds;
    info.eta_seconds = step_time_ema * static_cast<double>(o.steps - step - 1);
    {
      const nlohmann::json line{{"step", info.step},         {"dm_loss", info.dm_loss}, {"critic_loss", info.critic_loss},
                                {"gap", info.gap},           {"student_step", info.student_step},
                                {"seconds", seconds}};
      std::ofstream out(metrics, std::ios::app);
      out << line.dump() << "\n";
    }
    if (on_step) on_step(info);
    result.steps_done = step + 1;
    if (o.save_outputs && ((step + 1) % o.checkpoint_every == 0 || step + 1 == o.steps)) {
      save(step + 1);
      last_saved = step + 1;
    }
  }
  if (result.cancelled && o.save_outputs) {
    if (result.steps_done > last_saved) save(result.steps_done);
    say("cancelled at step " + std::to_string(std::max(result.steps_done, progress.step)) + "; resume with the same command");
  }
  result.steps_done = std::max(result.steps_done, progress.step);

  if (!result.cancelled && o.save_outputs) {
    // Export: the EMA weights in the student's architecture, with its layer modes and schedule.
    {
      at::NoGradGuard no_grad;
      for (std::size_t p = 0; p < ema.size(); ++p) student_params[p].copy_(ema[p]);
    }
    result.student = (run / "student.safetensors").string();
    save_student(result.student, *student, schedule,
                 "linvideo distill (DMD2): " + std::to_string(result.steps_done) + " generator steps, EMA " +
                     std::to_string(o.ema_decay) + ", from " + o.sidecar);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  return result;
}

}  // namespace linvideo::method
