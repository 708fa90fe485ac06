#include "core/method/transfer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/atomic_write.h"
#include "core/method/objectives.h"
#include "core/method/replaceability.h"
#include "core/method/sidecar.h"
#include "core/model/attention_scope.h"
#include "core/model/autocast.h"
#include "core/model/wan_vae.h"
#include "core/method/trajectory_cache.h"
#include "core/model/wan_dit.h"
#include "core/train/training_state.h"

namespace fs = std::filesystem;

namespace linvideo::method {
namespace {

using model::AttentionMode;

nlohmann::json options_json(const TransferOptions& o, int layers, const at::Device& device) {
  nlohmann::json j = {{"cache", o.cache_dir}, {"target_linear", o.target_linear}, {"objective", o.objective},
          {"steps", o.steps}, {"batch", o.batch}, {"lr", o.lr}, {"lr_r", o.lr_r},
          {"weight_decay", o.weight_decay}, {"lambda", o.lambda}, {"alpha_from", o.alpha_from},
          {"alpha_to", o.alpha_to}, {"rollout_max", o.rollout_max}, {"t_min", o.t_min},
          {"normalize", o.normalize}, {"guidance", o.guidance}, {"fixed_linear", o.fixed_linear},
          {"seed", o.seed}, {"warmup_steps", o.warmup_steps}, {"r_init", o.r_init}, {"layers", layers},
          {"lr_schedule", o.lr_schedule}, {"lr_min_ratio", o.lr_min_ratio}, {"tie_break", o.tie_break}};
  if (!o.init_sidecar.empty()) j["init_sidecar"] = o.init_sidecar;
  // Resolved, so that an "auto" run resumed on another kind of device is refused.
  j["precision"] = resolved_precision(o, device);
  j["gradient_checkpointing"] = uses_gradient_checkpointing(o, device);
  return j;
}

void validate(const TransferOptions& o, int layers) {
  if (o.run_dir.empty()) throw Error("transfer: no run folder (--run)");
  if (o.objective != "adm" && o.objective != "mse") {
    throw Error("transfer: --objective must be adm or mse, got '" + o.objective + "'");
  }
  if (o.fixed_linear.empty() && (o.target_linear < 1 || o.target_linear >= layers)) {
    throw Error("transfer: --target must be between 1 and " + std::to_string(layers - 1) + " (the model has " +
                std::to_string(layers) + " layers), got " + std::to_string(o.target_linear));
  }
  if (o.lr_schedule != "cosine" && o.lr_schedule != "constant") {
    throw Error("transfer: --lr-schedule must be cosine or constant, got '" + o.lr_schedule + "'");
  }
  if (!(o.lr_min_ratio >= 0 && o.lr_min_ratio <= 1)) {
    throw Error("transfer: --lr-min-ratio must be between 0 and 1, got " + std::to_string(o.lr_min_ratio));
  }
  for (int l : o.fixed_linear) {
    if (l < 1 || l > layers) throw Error("transfer: --layers names layer " + std::to_string(l) + " of " + std::to_string(layers));
  }
  if (o.steps < 0) throw Error("transfer: --steps must be >= 0");
  if (o.batch < 1) throw Error("transfer: --batch must be >= 1");
  if (o.rollout_max < 1) throw Error("transfer: --rollout must be >= 1");
  if (!(o.t_min > 0 && o.t_min < 1)) throw Error("transfer: --t-min must be in (0, 1)");
  if (o.lr <= 0 || o.lr_r <= 0) throw Error("transfer: learning rates must be > 0");
  if (o.checkpoint_every < 1) throw Error("transfer: --checkpoint-every must be >= 1");
  if (!(o.r_init > 0.5 && o.r_init <= 1)) throw Error("transfer: --r-init must be in (0.5, 1]");
  if (o.precision != "auto" && o.precision != "fp32" && o.precision != "bf16") {
    throw Error("transfer: --precision must be auto, fp32 or bf16, got '" + o.precision + "'");
  }
  if (o.gradient_checkpointing != "auto" && o.gradient_checkpointing != "on" && o.gradient_checkpointing != "off") {
    throw Error("transfer: --grad-checkpoint must be auto, on or off, got '" + o.gradient_checkpointing + "'");
  }
}

// The DiT's checkpointing switch for the run, restored on scope exit (also on an error).
class CheckpointingGuard {
 public:
  CheckpointingGuard(model::WanDiT& dit, bool on) : dit_(dit), previous_(dit.gradient_checkpointing()) {
    dit.set_gradient_checkpointing(on);
  }
  ~CheckpointingGuard() { dit_.set_gradient_checkpointing(previous_); }
  CheckpointingGuard(const CheckpointingGuard&) = delete;
  CheckpointingGuard& operator=(const CheckpointingGuard&) = delete;

 private:
  model::WanDiT& dit_;
  bool previous_;
};

// Every layer's mode, restored on scope exit (teacher passes switch all layers to softmax).
// The guided velocity v_uncond + g (v_cond - v_uncond) at model time `t` (0..1000).
at::Tensor guided_velocity(const model::WanDiT& dit, const at::Tensor& x, double t, const model::TextCondition& pos,
                           const model::TextCondition& neg, double guidance) {
  const at::Tensor tt = at::full({x.size(0)}, t, x.options().dtype(at::kFloat));
  const at::Tensor c = dit.forward(x, tt, pos);
  if (guidance == 1.0) return c;
  const at::Tensor u = dit.forward(x, tt, neg);
  return u + guidance * (c - u);
}

at::Tensor teacher_velocity(model::WanDiT& dit, const at::Tensor& x, double t, const model::TextCondition& pos,
                            const model::TextCondition& neg, double guidance) {
  at::NoGradGuard no_grad;
  const model::AttentionStateScope keep(dit, model::AttentionStateScope::Depth::Modes);
  for (std::int64_t l = 0; l < dit.num_layers(); ++l) dit.attention_state(l).mode = AttentionMode::Softmax;
  return guided_velocity(dit, x, t, pos, neg, guidance);
}

struct Conditions {
  model::TextCondition pos, neg;
};



}  // namespace

bool uses_gradient_checkpointing(const TransferOptions& o, const c10::Device& device) {
  return o.gradient_checkpointing == "auto" ? device.is_cuda() : o.gradient_checkpointing == "on";
}

std::string resolved_precision(const TransferOptions& o, const c10::Device& device) {
  if (o.precision == "auto") return device.is_cuda() ? "bf16" : "fp32";
  return o.precision;
}

TransferResult run_transfer(pipeline::TextToVideo& t2v, const TransferOptions& o,
                            const std::function<void(const TransferStep&)>& on_step,
                            const std::function<void(const std::string&)>& log, const pipeline::CancelToken* cancel) {
  const auto start_time = std::chrono::steady_clock::now();
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  model::WanDiT& dit = t2v.dit();
  const int layers = static_cast<int>(dit.num_layers());
  validate(o, layers);
  const fs::path run(o.run_dir);
  fs::create_directories(run);
  const CacheContents cache = read_trajectory_cache(o.cache_dir);
  const double guidance = o.guidance > 0 ? o.guidance : cache.guidance;
  const at::Device device = dit.options().device;

  // The run's identity: a resumed run must be the same run.
  nlohmann::json config = options_json(o, layers, device);
  config["cache_digest"] = cache.digest;  // the cache's contents, not just its folder
  train::Progress progress = train::read_progress(o.run_dir);
  // Runs from before the two knobs existed ran in fp32 without checkpointing; before the schedule
  // and the tie-break, at a constant rate without it. (Runs from before the digest existed are
  // taken to have used this cache.)
  train::claim_run_config(o.run_dir, config, progress.step,
                          {{"precision", "fp32"}, {"gradient_checkpointing", false}, {"cache_digest", cache.digest},
                           {"lr_schedule", "constant"}, {"lr_min_ratio", 0.1}, {"tie_break", false}});

  // Conditions of every cached trajectory (frozen weights: computed once, no gradient).
  std::vector<Conditions> conditions;
  {
    at::NoGradGuard no_grad;
    for (const auto& c : cache.trajectories) {
      conditions.push_back({dit.encode_condition(c.context.to(device)), dit.encode_condition(c.negative_context.to(device))});
    }
  }

  const bool selecting = o.fixed_linear.empty();
  if (!o.init_sidecar.empty()) load_sidecar(o.init_sidecar, dit);  // maps to start from (a resume overwrites them)
  // Fresh run: every layer gets a new linear branch (identity W), warmed up by attention transfer
  // on the teacher's activations (the "transfer-initialised W"); maps the model already had (a
  // shipped sidecar) are not what a run starts from. With --init-sidecar the run starts from that
  // file's maps. A resumed run loads W from its checkpoint.
  for (int l = 0; l < layers; ++l) {
    auto& st = dit.attention_state(l);
    if (o.init_sidecar.empty() || !st.has_linear_branch())
      st.init_linear_branch(dit.config().num_heads, dit.config().head_dim(), device);
    st.mode = AttentionMode::Softmax;
  }
  std::vector<int> trained_layers;  // 0-based: the layers whose W train
  for (int l = 0; l < layers; ++l) {
    if (selecting || std::find(o.fixed_linear.begin(), o.fixed_linear.end(), l + 1) != o.fixed_linear.end()) {
      trained_layers.push_back(l);
    }
  }
  if (progress.step == 0) {
    std::error_code gone;
    fs::remove(run / "warmup.json", gone);  // a fresh run's, or none
  }
  if (progress.step == 0 && o.warmup_steps > 0 && o.init_sidecar.empty()) {
    ScanOptions scan;
    scan.measure_sensitivity = false;
    scan.transfer_steps = o.warmup_steps;
    scan.sample_steps = std::max(2, std::min(cache.steps > 0 ? cache.steps : 10, 10));
    for (int l : trained_layers) scan.only_layers.push_back(l + 1);
    std::vector<std::pair<at::Tensor, at::Tensor>> contexts;
    for (std::size_t i = 0; i < std::min<std::size_t>(2, cache.trajectories.size()); ++i) {
      contexts.emplace_back(cache.trajectories[i].context.to(device), cache.trajectories[i].negative_context.to(device));
    }
    pipeline::GenerationSettings settings;
    const auto& shape = cache.trajectories.front().x_t.sizes();  // [steps, C, F, h, w]
    const auto& vae = t2v.vae().config();  // the latent grid back to pixels, for any VAE's strides
    settings.frames = static_cast<int>((shape[2] - 1) * vae.temporal_stride() + 1);
    settings.height = static_cast<int>(shape[3] * vae.spatial_stride());
    settings.width = static_cast<int>(shape[4] * vae.spatial_stride());
    settings.guidance = guidance;
    const auto scores = scan_layers(t2v, settings, contexts, scan);
    {
      // Kept for the sidecar (the Layers view's transfer-error column), also across a resume.
      nlohmann::json warm = nlohmann::json::array();
      for (const auto& s : scores.layers) warm.push_back({{"layer", s.layer}, {"transfer_error", s.transfer_error}});
      write_text_atomically((run / "warmup.json").string(), warm.dump() + "\n");
    }
    double before = 0, after = 0;
    for (const auto& s : scores.layers) before += s.transfer_error_before, after += s.transfer_error;
    const double n = std::max<std::size_t>(1, scores.layers.size());
    say("warm-up: attention transfer of " + std::to_string(scores.layers.size()) + " layers, mean error " +
        std::to_string(before / n) + " -> " + std::to_string(after / n));
  }

  // Trainable state: W_q, W_k of the trained layers; r of every layer when selecting.
  std::vector<std::pair<std::string, at::Tensor>> named;
  std::vector<at::Tensor> maps, scores;
  for (int l : trained_layers) {
    auto& st = dit.attention_state(l);
    st.w_q = st.w_q.detach().clone().requires_grad_(true);
    st.w_k = st.w_k.detach().clone().requires_grad_(true);
    maps.push_back(st.w_q), maps.push_back(st.w_k);
    named.emplace_back("blocks." + std::to_string(l) + ".w_q", st.w_q);
    named.emplace_back("blocks." + std::to_string(l) + ".w_k", st.w_k);
  }
  for (int l = 0; l < layers; ++l) {
    auto& st = dit.attention_state(l);
    const bool linear = std::find(trained_layers.begin(), trained_layers.end(), l) != trained_layers.end();
    st.mix_score = at::full({}, selecting ? o.r_init : 1.0, at::TensorOptions().dtype(at::kFloat).device(device));
    if (selecting) {
      st.mix_score.requires_grad_(true);
      st.mode = AttentionMode::Mixed;
      scores.push_back(st.mix_score);
      named.emplace_back("blocks." + std::to_string(l) + ".r", st.mix_score);
    } else {
      st.mode = linear ? AttentionMode::Linear : AttentionMode::Softmax;
      if (!linear) st.mix_score.fill_(1.0);
    }
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(maps, std::make_unique<torch::optim::AdamWOptions>(
                                torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay)));
  if (selecting) {
    groups.emplace_back(scores, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(o.lr_r).weight_decay(0.0)));
  }
  torch::optim::AdamW opt(std::move(groups), torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));

  // Memory and precision of the training passes (the warm-up above ran in fp32, unchanged).
  const bool bf16 = resolved_precision(o, device) == "bf16";
  const CheckpointingGuard checkpointing(dit, uses_gradient_checkpointing(o, device));
  say(std::string("precision: ") + (bf16 ? "bf16 autocast, fp32 master weights" : "fp32") +
      "; gradient checkpointing " + (dit.gradient_checkpointing() ? "on" : "off"));

  const fs::path metrics = run / "metrics.jsonl";
  if (progress.step > 0) {
    if (const std::string note = train::load_checkpoint(o.run_dir, progress, named, opt); !note.empty()) say(note);
    train::truncate_metrics(metrics.string(), progress.step);  // steps after the checkpoint will be redone exactly
    say("resumed at step " + std::to_string(progress.step) + " of " + std::to_string(o.steps));
  } else if (fs::exists(metrics)) {
    fs::remove(metrics);
  }
  auto r_values = [&] {
    std::vector<double> r;
    for (int l = 0; l < layers; ++l) r.push_back(dit.attention_state(l).mix_score.item<double>());
    return r;
  };
  auto save = [&](std::int64_t step, double loss) {
    train::save_checkpoint(o.run_dir, step, named, opt, {{"loss", std::to_string(loss)}});
  };

  TransferResult result;
  std::int64_t last_saved = progress.step;
  double step_time_ema = 0;
  const std::int64_t n_traj = static_cast<std::int64_t>(cache.trajectories.size());
  for (std::int64_t step = progress.step; step < o.steps; ++step) {
    if (cancel && cancel->cancelled()) {
      result.cancelled = true;
      break;
    }
    const auto t0 = std::chrono::steady_clock::now();
    // Every random draw of a step derives from (seed, step): a resumed run repeats it exactly.
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(o.seed * 1000003ull + static_cast<std::uint64_t>(step) + 17);
    auto draw = [&](std::int64_t n) { return at::randint(n, {1}, gen, at::TensorOptions().dtype(at::kLong)).item<std::int64_t>(); };
    opt.zero_grad();
    double objective = 0, gap = 0;  // gap: ADM's teacher-student velocity difference at x_hat
    for (int b = 0; b < o.batch; ++b) {
      const std::int64_t i = draw(n_traj);
      const CachedTrajectory& c = cache.trajectories[static_cast<std::size_t>(i)];
      const Conditions& cond = conditions[static_cast<std::size_t>(i)];
      const std::int64_t S = c.x_t.size(0);
      auto sigma = [&](std::int64_t k) { return c.sigma[k].item<double>(); };
      auto model_t = [&](std::int64_t k) { return c.t[k].item<double>(); };
      at::Tensor loss;
      {
        // Forward passes under autocast; the backward below runs outside it, as AMP prescribes.
        const model::AutocastScope autocast(device.type(), bf16, at::kBFloat16);
        if (o.objective == "mse") {
          const std::int64_t j = draw(S);
          const at::Tensor x = c.x_t.narrow(0, j, 1).to(device);
          const at::Tensor u = guided_velocity(dit, x, model_t(j), cond.pos, cond.neg, guidance);
          loss = mse_objective(u, c.u_t.narrow(0, j, 1).to(device));
        } else {
          // ADM: from cached state j, the student rolls m Euler steps on the inference grid (the
          // last one with gradient) to its own sample x_hat at t_{j+m}, which stays inside the grid.
          const std::int64_t j = draw(S - 1);
          const std::int64_t m = 1 + draw(std::min<std::int64_t>(o.rollout_max, S - 1 - j));
          at::Tensor x = c.x_t.narrow(0, j, 1).to(device);
          {
            at::NoGradGuard no_grad;
            for (std::int64_t k = j; k < j + m - 1; ++k) {
              x = x + (sigma(k + 1) - sigma(k)) * guided_velocity(dit, x, model_t(k), cond.pos, cond.neg, guidance);
            }
          }
          const std::int64_t k = j + m - 1;
          const at::Tensor x_hat = x + (sigma(k + 1) - sigma(k)) * guided_velocity(dit, x, model_t(k), cond.pos, cond.neg, guidance);
          const at::Tensor fixed = x_hat.detach();
          const at::Tensor u_teacher = teacher_velocity(dit, fixed, model_t(j + m), cond.pos, cond.neg, guidance);
          at::Tensor u_student;
          {
            at::NoGradGuard no_grad;
            u_student = guided_velocity(dit, fixed, model_t(j + m), cond.pos, cond.neg, guidance);
          }
          const at::Tensor t = at::full({1}, sigma(j + m), fixed.options());
          // Mean over elements (the surrogate sums them): an O(1) objective, so that lambda keeps the
          // paper's meaning against L_con and L_reg whatever the latent size.
          loss = adm_surrogate(x_hat, u_teacher, u_student, t, o.t_min, o.normalize) / static_cast<double>(fixed.numel());
          gap += (u_teacher - u_student).pow(2).mean().item<double>() / o.batch;
        }
      }
      (loss / o.batch).backward();
      objective += loss.item<double>() / o.batch;
    }
    TransferStep info;
    info.step = step + 1, info.total = o.steps;
    info.losses["objective"] = objective;
    if (o.objective == "adm") info.losses["gap"] = gap;
    double total = objective;
    if (selecting) {
      const at::Tensor r = at::stack(scores);
      const at::Tensor con = constraint_loss(r, o.target_linear);
      const at::Tensor reg = binarization_loss(r, alpha_at(step, o.steps, o.alpha_from, o.alpha_to));
      (o.lambda * (con + reg)).backward();
      if (o.tie_break) {
        const at::Tensor push = tie_break_gradient(r, o.target_linear);
        at::NoGradGuard no_grad;
        for (std::size_t i = 0; i < scores.size(); ++i) scores[i].mutable_grad().add_(o.lambda * push[static_cast<std::int64_t>(i)]);
      }
      info.losses["con"] = con.item<double>(), info.losses["reg"] = reg.item<double>();
      total += o.lambda * (info.losses["con"] + info.losses["reg"]);
    }
    info.losses["total"] = total;
    std::vector<at::Tensor> grads;
    for (const auto& [name, t] : named) grads.push_back(t.grad());
    if (!std::isfinite(total) || !train::all_finite(grads)) {
      throw Error("transfer: non-finite loss or gradient at step " + std::to_string(step + 1) +
                  " (objective " + std::to_string(objective) + "); stopped, the last good checkpoint (step " +
                  std::to_string(last_saved) + ") is kept in " + o.run_dir);
    }
    if (o.lr_schedule == "cosine") {  // the maps' group; a resumed run sets the same rate at the same step
      static_cast<torch::optim::AdamWOptions&>(opt.param_groups()[0].options())
          .lr(cosine_lr(o.lr, step, o.steps, o.lr_min_ratio));
    }
    opt.step();
    {
      at::NoGradGuard no_grad;
      for (auto& r : scores) r.clamp_(0.0, 1.0);
    }
    if (!train::all_finite(maps)) {
      throw Error("transfer: non-finite W after step " + std::to_string(step + 1) + "; stopped, the last good checkpoint (step " +
                  std::to_string(last_saved) + ") is kept in " + o.run_dir);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    step_time_ema = step_time_ema == 0 ? seconds : 0.9 * step_time_ema + 0.1 * seconds;
    info.step_seconds = seconds;
    info.eta_seconds = step_time_ema * static_cast<double>(o.steps - step - 1);
    info.r = r_values();
    for (double r : info.r) info.linear_now += r < 0.5;
    {
      nlohmann::json line{{"step", info.step}, {"losses", info.losses}, {"r", info.r}, {"linear", info.linear_now},
                          {"seconds", seconds}};
      std::ofstream out(metrics, std::ios::app);
      out << line.dump() << "\n";
    }
    if (on_step) on_step(info);
    result.steps_done = step + 1;
    if ((step + 1) % o.checkpoint_every == 0 || step + 1 == o.steps) {
      save(step + 1, total);
      last_saved = step + 1;
    }
  }
  if (result.cancelled) {
    if (result.steps_done > last_saved) save(result.steps_done, 0.0);
    say("cancelled at step " + std::to_string(std::max(result.steps_done, progress.step)) + "; resume with the same command");
  }
  result.steps_done = std::max(result.steps_done, progress.step);

  // What the sidecar tells about the run: the scores before rounding, their path over the steps
  // (metrics.jsonl, which a resumed run has kept), and the warm-up's transfer errors.
  SidecarScores told;
  if (!result.cancelled) {
    if (selecting) {
      for (double v : r_values()) told.r_trained.push_back(v);
      std::vector<float> path;
      std::int64_t rows = 0;
      std::ifstream in(metrics);
      for (std::string line; std::getline(in, line);) {
        const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object() || !j.contains("r") || !j["r"].is_array() || j["r"].size() != static_cast<std::size_t>(layers)) continue;
        for (const auto& v : j["r"]) path.push_back(v.is_number() ? v.get<float>() : 0.0f);
        ++rows;
      }
      if (rows > 0) told.r_trajectory = at::tensor(path, at::kFloat).view({rows, layers});
    }
    const nlohmann::json warm = nlohmann::json::parse(std::ifstream(run / "warmup.json"), nullptr, false);
    if (warm.is_array()) {
      told.transfer_error.assign(static_cast<std::size_t>(layers), std::nullopt);
      for (const auto& e : warm) {
        const int l = e.is_object() ? e.value("layer", 0) : 0;
        if (l >= 1 && l <= layers && e.contains("transfer_error") && e["transfer_error"].is_number())
          told.transfer_error[static_cast<std::size_t>(l - 1)] = e["transfer_error"].get<double>();
      }
    }
  }

  // Final layer modes: the k lowest scores (selection; normally exactly the layers whose r rounds
  // to 0), or the fixed choice. No gradients from here on.
  std::vector<int> linear_set = o.fixed_linear;
  if (selecting) {
    const std::vector<double> r = r_values();
    std::vector<int> order(static_cast<std::size_t>(layers));
    for (int l = 0; l < layers; ++l) order[static_cast<std::size_t>(l)] = l;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return r[static_cast<std::size_t>(a)] < r[static_cast<std::size_t>(b)]; });
    linear_set.clear();
    for (std::int64_t i = 0; i < o.target_linear; ++i) linear_set.push_back(order[static_cast<std::size_t>(i)] + 1);
    result.rounded_linear = static_cast<int>(std::count_if(r.begin(), r.end(), [](double v) { return v < 0.5; }));
    if (result.rounded_linear != o.target_linear) {
      say("note: rounding r gives " + std::to_string(result.rounded_linear) + " linear layers, not " +
          std::to_string(o.target_linear) + "; the " + std::to_string(o.target_linear) +
          " lowest scores are taken (train longer or raise --lambda)");
    }
  }
  for (int l = 0; l < layers; ++l) {
    auto& st = dit.attention_state(l);
    st.w_q = st.w_q.detach(), st.w_k = st.w_k.detach();
    const bool linear = std::find(linear_set.begin(), linear_set.end(), l + 1) != linear_set.end();
    st.mix_score = at::full({}, linear ? 0.0 : 1.0, st.mix_score.options());
    st.mode = linear ? AttentionMode::Linear : AttentionMode::Softmax;
    if (linear) result.linear_layers.push_back(l + 1);
  }
  if (!result.cancelled) {
    result.sidecar = (run / "linvideo.safetensors").string();
    save_sidecar(result.sidecar, dit,
                 "linvideo transfer: objective " + o.objective + ", " + std::to_string(result.steps_done) + " steps",
                 told);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  return result;
}

}  // namespace linvideo::method
