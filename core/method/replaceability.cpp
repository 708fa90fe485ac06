#include "core/method/replaceability.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/model/attention_scope.h"
#include "core/model/wan_dit.h"

namespace linvideo::method {
namespace {

using States = std::vector<std::array<at::Tensor, 3>>;

// Keeps at most `n` states, evenly spread over the trajectory.
States thin(const States& all, int n) {
  if (static_cast<int>(all.size()) <= n) return all;
  States out;
  for (int i = 0; i < n; ++i) out.push_back(all[static_cast<std::size_t>(i) * all.size() / static_cast<std::size_t>(n)]);
  return out;
}

double transfer_error(const States& states, const std::vector<at::Tensor>& targets, const model::AttentionLayerState& l) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < states.size(); ++i) {
    const auto& [q, k, v] = states[i];
    const at::Tensor lin = model::linear_attention(q, k, v, l.w_q, l.w_k).to(at::kFloat);
    num += (lin - targets[i]).pow(2).sum().item<double>();
    den += targets[i].pow(2).sum().item<double>();
  }
  return std::sqrt(num / std::max(den, 1e-24));
}

}  // namespace

ScanResult scan_layers(pipeline::TextToVideo& t2v, const pipeline::GenerationSettings& base, const ScanOptions& o,
                       const std::function<void(const std::string&)>& log) {
  if (o.prompts.empty()) throw Error("scan: no prompts");
  pipeline::GenerationSettings s = base;
  std::vector<std::pair<at::Tensor, at::Tensor>> contexts;
  for (const auto& prompt : o.prompts) {
    contexts.emplace_back(t2v.encode_prompt(prompt), t2v.encode_prompt(pipeline::TextToVideo::negative_prompt_of(s)));
  }
  return scan_layers(t2v, base, contexts, o, log);
}

ScanResult scan_layers(pipeline::TextToVideo& t2v, const pipeline::GenerationSettings& base,
                       const std::vector<std::pair<at::Tensor, at::Tensor>>& contexts, const ScanOptions& o,
                       const std::function<void(const std::string&)>& log) {
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  if (contexts.empty()) throw Error("scan: no prompts");
  if (o.seeds < 1 || o.sample_steps < 1) throw Error("scan: --seeds and --steps must be at least 1");
  const auto t0 = std::chrono::steady_clock::now();
  model::WanDiT& dit = t2v.dit();
  const int layers = static_cast<int>(dit.num_layers());
  const auto& cfg = dit.config();
  const at::Device device = dit.options().device;

  struct Run {
    at::Tensor context, negative, noise, teacher_final;
  };
  std::vector<Run> runs;
  pipeline::GenerationSettings s = base;
  s.steps = o.sample_steps;
  for (const auto& [context, negative] : contexts) {
    for (int seed = 0; seed < o.seeds; ++seed) {
      s.seed = base.seed + static_cast<std::uint64_t>(seed);
      runs.push_back({context, negative, t2v.initial_noise(s), {}});
    }
  }
  std::vector<int> chosen;  // 0-based
  if (o.only_layers.empty()) {
    for (int l = 0; l < layers; ++l) chosen.push_back(l);
  } else {
    for (int l : o.only_layers) {
      if (l < 1 || l > layers) throw Error("scan: layer " + std::to_string(l) + " is out of range");
      chosen.push_back(l - 1);
    }
  }

  // Progress in units of sampler steps; an Adam step of the warm-up costs about a twentieth.
  constexpr double kTransferStepCost = 0.05;
  const double sample_units = static_cast<double>(runs.size()) * s.steps;
  const double total_units =
      sample_units + static_cast<double>(chosen.size()) * o.transfer_steps * kTransferStepCost +
      (o.measure_sensitivity ? static_cast<double>(chosen.size()) * sample_units : 0.0);
  double done_units = 0;
  auto report = [&](double units, const char* stage) {
    done_units += units;
    if (o.progress) o.progress(std::min(1.0, done_units / std::max(total_units, 1.0)), stage);
  };
  auto cancelled = [&] { return o.cancel && o.cancel->cancelled(); };
  pipeline::Callbacks sample_callbacks;
  sample_callbacks.cancel = o.cancel;

  // 1. Teacher trajectories, capturing every layer's q, k, v.
  std::vector<States> captured(static_cast<std::size_t>(layers));
  // Modes and capture hooks as they were on every way out (a hook left pointing at `captured` after
  // an exception would be written through on the next forward); fitted maps stay.
  model::AttentionStateScope modes(dit, model::AttentionStateScope::Depth::Modes);
  ScanResult result;
  auto stop = [&] {  // cancelled: modes and hooks as they were, the finished layers returned
    modes.restore();
    result.cancelled = true;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    say("scan: cancelled");
    return result;
  };
  for (int l : chosen) {
    auto& state = dit.attention_state(l);
    state.mode = model::AttentionMode::Softmax;
    state.capture = &captured[static_cast<std::size_t>(l)];
  }
  {
    at::NoGradGuard no_grad;
    sample_callbacks.on_step = [&](const pipeline::StepProgress&) { report(1, "teacher trajectories"); };
    for (auto& r : runs) {
      const pipeline::SampleResult sampled = t2v.sample(r.context, r.negative, r.noise, s, sample_callbacks);
      if (sampled.status == pipeline::Status::Cancelled || cancelled()) return stop();
      r.teacher_final = sampled.latents;
    }
  }
  for (int l = 0; l < layers; ++l) dit.attention_state(l).capture = nullptr;
  say("scan: teacher trajectories done (" + std::to_string(runs.size()) + " runs x " + std::to_string(s.steps) + " steps)");

  // 2. Attention transfer per layer.
  for (int l : chosen) {
    const States states = thin(captured[static_cast<std::size_t>(l)], o.max_calibration_states);
    captured[static_cast<std::size_t>(l)].clear();
    std::vector<at::Tensor> targets;
    {
      at::NoGradGuard no_grad;
      for (const auto& [q, k, v] : states) targets.push_back(model::softmax_attention(q, k, v).to(at::kFloat));
    }
    auto& layer = dit.attention_state(l);
    layer.init_linear_branch(cfg.num_heads, cfg.head_dim(), device);
    LayerScore score;
    score.layer = l + 1;
    {
      at::NoGradGuard no_grad;
      score.transfer_error_before = transfer_error(states, targets, layer);
    }
    layer.w_q.requires_grad_(true);
    layer.w_k.requires_grad_(true);
    torch::optim::Adam opt({layer.w_q, layer.w_k}, torch::optim::AdamOptions(o.transfer_lr));
    for (int step = 0; step < o.transfer_steps; ++step) {
      const std::size_t i = static_cast<std::size_t>(step) % states.size();
      const auto& [q, k, v] = states[i];
      const at::Tensor lin = model::linear_attention(q, k, v, layer.w_q, layer.w_k).to(at::kFloat);
      const at::Tensor loss = (lin - targets[i]).pow(2).mean();
      opt.zero_grad();
      loss.backward();
      opt.step();
      report(kTransferStepCost, "attention transfer");
      if (cancelled()) {
        layer.w_q = layer.w_q.detach();
        layer.w_k = layer.w_k.detach();
        return stop();
      }
    }
    layer.w_q = layer.w_q.detach();
    layer.w_k = layer.w_k.detach();
    {
      at::NoGradGuard no_grad;
      score.transfer_error = transfer_error(states, targets, layer);
    }
    say("scan: layer " + std::to_string(l + 1) + " transfer error " + std::to_string(score.transfer_error_before) +
        " -> " + std::to_string(score.transfer_error));
    result.layers.push_back(score);
  }

  // 3. Single-layer sensitivity with the fitted maps.
  at::NoGradGuard no_grad;
  for (std::size_t i = 0; i < chosen.size() && o.measure_sensitivity; ++i) {
    const int l = chosen[i];
    auto& layer = dit.attention_state(l);
    layer.mode = model::AttentionMode::Linear;
    double num = 0, den = 0;
    sample_callbacks.on_step = [&](const pipeline::StepProgress&) { report(1, "sensitivity"); };
    for (auto& r : runs) {
      const pipeline::SampleResult sampled = t2v.sample(r.context, r.negative, r.noise, s, sample_callbacks);
      if (sampled.status == pipeline::Status::Cancelled || cancelled()) {
        result.layers.resize(i);  // only the layers with both scores
        return stop();
      }
      const at::Tensor& final = sampled.latents;
      num += (final - r.teacher_final).pow(2).sum().item<double>();
      den += r.teacher_final.pow(2).sum().item<double>();
    }
    layer.mode = model::AttentionMode::Softmax;
    result.layers[i].sensitivity = std::sqrt(num / std::max(den, 1e-24));
    say("scan: layer " + std::to_string(l + 1) + " sensitivity " + std::to_string(result.layers[i].sensitivity));
  }
  // Modes as they were before the scan (maps of the chosen layers now fitted).
  modes.restore();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace linvideo::method
