// DMD2 few-step distillation on a tiny model: the critic learns the student's outputs by flow
// matching, the generator's gradient is the normalised score difference (on Gaussians, where it is
// known in closed form), a cancelled run resumes to exactly the uninterrupted one, few-step
// sampling feeds the DiT exactly the schedule's timesteps without CFG, and bad options or a
// diverging run stop with one line.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/optim/adamw.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "core/error.h"
#include "core/remove_tree.h"
#include "core/io/safetensors.h"
#include "core/method/distill.h"
#include "core/method/objectives.h"
#include "core/method/sidecar.h"
#include "core/method/student.h"
#include "core/model/wan_dit.h"
#include "core/sampling/flow_schedule.h"
#include "core/train/training_state.h"
#include "tests/unit/tiny_pipeline.h"

using namespace linvideo;
using namespace linvideo::method;
namespace fs = std::filesystem;

namespace {

// A LinVideo model of the tiny teacher: layer 1 linear with identity maps, the others softmax.
std::string tiny_sidecar(pipeline::TextToVideo& t2v, const std::string& name) {
  auto& dit = t2v.dit();
  auto& st = dit.attention_state(0);
  st.init_linear_branch(dit.config().num_heads, dit.config().head_dim(), at::kCPU);
  st.mode = model::AttentionMode::Linear;
  const std::string path = test::temp_dir() + "/" + name + ".linvideo.safetensors";
  save_sidecar(path, dit);
  for (std::int64_t l = 0; l < dit.num_layers(); ++l) dit.attention_state(l).mode = model::AttentionMode::Softmax;
  return path;
}

DistillOptions tiny_options(pipeline::TextToVideo& t2v, const std::string& name) {
  DistillOptions o;
  o.run_dir = test::temp_dir() + "/" + name;
  remove_tree(o.run_dir);
  o.sidecar = tiny_sidecar(t2v, name);
  o.prompts = {"a red circle", "a blue square"};
  o.settings = test::tiny_settings();
  o.steps = 4;
  o.critic_updates = 2;
  o.lr_generator = 1e-3, o.lr_critic = 1e-3;  // large enough that every step moves the weights
  o.checkpoint_every = 3;
  return o;
}

std::vector<std::string> metric_lines(const std::string& run) {
  std::ifstream in(run + "/metrics.jsonl");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) {
    auto j = nlohmann::json::parse(l);
    j.erase("seconds");  // wall time is the one thing allowed to differ
    lines.push_back(j.dump());
  }
  return lines;
}

std::string error_of(pipeline::TextToVideo& t2v, const DistillOptions& o) {
  try {
    run_distill(t2v, o);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Distill, CriticFlowMatchingLossDecreasesOnFixedStudentOutputs) {
  auto t2v = test::tiny_pipeline();
  model::WanDiT& critic = t2v->dit();
  const auto shape = t2v->latent_shape(5, 32, 32);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(5);
  // Fixed "student outputs": a structured distribution (two patterns plus small noise).
  const at::Tensor pattern = at::randn(shape, gen);
  std::vector<at::Tensor> x0s;
  for (int i = 0; i < 4; ++i) x0s.push_back((i % 2 ? 1.0 : -1.0) * pattern + 0.1 * at::randn(shape, gen));
  const at::Tensor context = at::randn({1, 4, 16}, gen);
  // A fixed evaluation set of (sample, sigma, noise).
  std::vector<std::tuple<int, double, at::Tensor>> eval;
  for (int i = 0; i < 8; ++i) eval.emplace_back(i % 4, sampling::shift_sigma(0.1 + 0.1 * i, 3.0), at::randn(shape, gen));
  auto eval_loss = [&] {
    at::NoGradGuard no_grad;
    double sum = 0;
    for (const auto& [i, sigma, eps] : eval) {
      const at::Tensor& x0 = x0s[static_cast<std::size_t>(i)];
      const at::Tensor v = critic.forward((1 - sigma) * x0 + sigma * eps, at::full({1}, sigma * 1000), context);
      sum += flow_matching_loss(v, x0, eps).item<double>();
    }
    return sum / static_cast<double>(eval.size());
  };
  std::vector<at::Tensor> params;
  for (auto& [name, t] : critic.named_weights()) params.push_back(t.requires_grad_(true));
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(1e-3).betas(std::make_tuple(0.0, 0.999)).weight_decay(0.0));
  const double before = eval_loss();
  for (int step = 0; step < 40; ++step) {
    const at::Tensor& x0 = x0s[static_cast<std::size_t>(step % 4)];
    const double sigma = sampling::shift_sigma(0.02 + 0.96 * at::rand({1}, gen).item<double>(), 3.0);
    const at::Tensor eps = at::randn(shape, gen);
    opt.zero_grad();
    const at::Tensor v = critic.forward((1 - sigma) * x0 + sigma * eps, at::full({1}, sigma * 1000), context);
    flow_matching_loss(v, x0, eps).backward();
    opt.step();
  }
  const double after = eval_loss();
  EXPECT_LT(after, 0.7 * before) << "before " << before << ", after " << after;
}

// Real data N(mu_r, I), the student's N(mu_f, I). Noised to x = (1 - s) x0 + s eps, both stay
// Gaussian, E[x0 | x] = mu + (1 - s) / ((1 - s)^2 + s^2) (x - (1 - s) mu) and v = (x - E[x0 | x]) / s.
// The KL gradient on the student's sample is then along mu_f - mu_r, whatever x: after the per-sample
// normalisation g = (mu_f - mu_r) / mean |mu_f - mu_r|.
TEST(Distill, GeneratorGradientIsTheNormalisedScoreDifference) {
  const std::vector<std::int64_t> shape = {2, 4, 2, 3, 3};
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(11);
  const at::Tensor mu_r = at::randn(shape, gen), mu_f = mu_r + 0.3 * at::randn(shape, gen);
  const at::Tensor sigma = at::tensor({0.35f, 0.8f});
  const at::Tensor x0 = (mu_f + at::randn(shape, gen)).requires_grad_(true);
  const at::Tensor eps = at::randn(shape, gen);
  const at::Tensor s = sigma.view({-1, 1, 1, 1, 1});
  const at::Tensor x = (1 - s) * x0.detach() + s * eps;
  auto velocity_of = [&](const at::Tensor& mu) {
    const at::Tensor denoised = mu + (1 - s) / ((1 - s).pow(2) + s.pow(2)) * (x - (1 - s) * mu);
    return (x - denoised) / s;
  };
  const at::Tensor g = dmd_gradient(velocity_of(mu_r), velocity_of(mu_f), sigma, /*normalize=*/true);
  dmd_surrogate(x0, g).backward();
  const at::Tensor direction = mu_f - mu_r;
  const at::Tensor expected = direction / direction.abs().mean({1, 2, 3, 4}, true) / 2.0;  // mean over the batch of 2
  EXPECT_TRUE(at::allclose(x0.grad(), expected, 1e-4, 1e-5)) << (x0.grad() - expected).abs().max();
  // Unnormalised it is x0_fake - x0_real, which for these Gaussians is sigma-dependent.
  const at::Tensor raw = dmd_gradient(velocity_of(mu_r), velocity_of(mu_f), sigma, false);
  const at::Tensor weight = 1 - (1 - s).pow(2) / ((1 - s).pow(2) + s.pow(2));
  EXPECT_TRUE(at::allclose(raw, weight * direction, 1e-4, 1e-5));
}

TEST(Distill, CancelledRunResumesToExactlyTheUninterruptedRun) {
  std::vector<std::string> full_lines;
  std::map<std::string, at::Tensor> full_weights;
  {
    auto t2v = test::tiny_pipeline();
    const DistillOptions o = tiny_options(*t2v, "distill-full");
    const auto r = run_distill(*t2v, o);
    ASSERT_FALSE(r.cancelled);
    EXPECT_EQ(r.steps_done, 4);
    full_lines = metric_lines(o.run_dir);
    const io::SafetensorsFile f(r.student);
    for (const auto& [name, t] : t2v->dit().named_weights()) full_weights[name] = f.tensor(name).clone();
    EXPECT_TRUE(f.contains("blocks.0.self_attn.linvideo.w_q"));
    // The student moved away from its initialisation (the teacher's weights, left unchanged).
    bool moved = false;
    for (const auto& [name, t] : t2v->dit().named_weights()) moved |= !at::equal(full_weights[name], t);
    EXPECT_TRUE(moved);
  }
  ASSERT_EQ(full_lines.size(), 4u);
  auto t2v = test::tiny_pipeline();
  DistillOptions o = tiny_options(*t2v, "distill-cut");
  pipeline::CancelToken cancel;
  const auto first = run_distill(*t2v, o, [&](const DistillStep& s) {
    if (s.step == 2) cancel.cancel();
  }, {}, &cancel);
  EXPECT_TRUE(first.cancelled);
  EXPECT_EQ(train::read_progress(o.run_dir).step, 2);  // the cancel checkpointed (checkpoint_every 3)
  EXPECT_TRUE(first.student.empty());
  auto again = test::tiny_pipeline();
  // A fresh process's view: a new pipeline, the same run folder and sidecar.
  const auto second = run_distill(*again, o);
  EXPECT_EQ(second.steps_done, 4);
  EXPECT_EQ(metric_lines(o.run_dir), full_lines);
  const io::SafetensorsFile f(second.student);
  for (const auto& [name, t] : full_weights) EXPECT_TRUE(at::equal(f.tensor(name), t)) << name;
  const auto schedule = load_student(second.student, again->dit());
  EXPECT_EQ(schedule.raw_timesteps, (std::vector<double>{1000, 750, 500, 250}));
  EXPECT_EQ(again->dit().attention_state(0).mode, model::AttentionMode::Linear);
  // Resuming with other options is refused, naming config.json.
  o.critic_updates = 3;
  EXPECT_NE(error_of(*again, o).find("config.json"), std::string::npos);
}

TEST(Distill, FewStepSamplingFeedsExactlyTheScheduleWithoutCfg) {
  auto t2v = test::tiny_pipeline();
  const FewStepSchedule schedule = make_few_step_schedule({1000, 750, 500, 250}, 3.0);
  ASSERT_EQ(schedule.sigmas.size(), 4u);
  EXPECT_DOUBLE_EQ(schedule.sigmas[0], 1.0);
  EXPECT_NEAR(schedule.sigmas[2], 3 * 0.5 / (1 + 2 * 0.5), 1e-12);
  // Through a student file, as `linvideo generate --linvideo STUDENT` does.
  const std::string file = test::temp_dir() + "/tiny.student.safetensors";
  save_student(file, t2v->dit(), schedule);
  EXPECT_TRUE(is_student_file(file));
  EXPECT_FALSE(is_student_file(tiny_sidecar(*t2v, "not-a-student")));
  pipeline::GenerationSettings s = test::tiny_settings();  // guidance 3, 3 steps, UniPC
  use_few_step_schedule(load_student(file, t2v->dit()), s);
  EXPECT_EQ(s.guidance, 1.0);
  std::vector<double> fed;
  pipeline::Callbacks cb;
  cb.on_state = [&](const at::Tensor&, double t, double, const at::Tensor&) { fed.push_back(t); };
  const at::Tensor context = t2v->encode_prompt("a red circle"), negative = t2v->encode_prompt("");
  const at::Tensor noise = t2v->initial_noise(s);
  const auto r = t2v->sample(context, negative, noise, s, cb);
  EXPECT_EQ(fed, schedule.timesteps());
  EXPECT_EQ(r.dit_forwards, 4);  // one forward per step: no CFG
  EXPECT_EQ(r.steps_done, 4);
  // The same Euler steps between the listed sigmas as the trainer's rollouts.
  at::NoGradGuard no_grad;
  std::vector<double> sigmas = schedule.sigmas;
  sigmas.push_back(0);
  at::Tensor x = noise;
  for (std::size_t k = 0; k < 4; ++k) {
    x = x + (sigmas[k + 1] - sigmas[k]) * t2v->dit().forward(x, at::full({1}, sigmas[k] * 1000), context);
  }
  EXPECT_TRUE(at::allclose(r.latents, x, 1e-5, 1e-6));
}

TEST(Distill, HostileStudentManifestsNameTheFileAndField) {
  auto t2v = test::tiny_pipeline();
  const std::string file = test::temp_dir() + "/hostile.student.safetensors";
  const at::Tensor w = at::zeros({2});
  auto error_for = [&](const std::string& manifest) -> std::string {
    io::write_safetensors(file, {{"x", w}}, {{"linvideo", manifest}});
    try {
      load_student(file, t2v->dit());
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  struct Case {
    const char* manifest;
    const char* says;
  };
  for (const Case& c : {Case{R"({"format": 5})", "not a distilled student"},
                        Case{R"([1, 2])", "not a distilled student"},
                        Case{R"({"format": "linvideo-student"})", "'schedule'"},
                        Case{R"({"format": "linvideo-student", "schedule": 3})", "'schedule'"},
                        Case{R"({"format": "linvideo-student", "schedule": {"raw_timesteps": "1000", "shift": 3}})",
                             "'schedule.raw_timesteps'"},
                        Case{R"({"format": "linvideo-student", "schedule": {"raw_timesteps": [], "shift": 3}})",
                             "'schedule.raw_timesteps'"},
                        Case{R"({"format": "linvideo-student", "schedule": {"raw_timesteps": [1000, "x"], "shift": 3}})",
                             "entry 1"},
                        Case{R"({"format": "linvideo-student", "schedule": {"raw_timesteps": [1000]}})", "'schedule.shift'"},
                        Case{R"({"format": "linvideo-student", "schedule": {"raw_timesteps": [1000], "shift": "3"}})",
                             "'shift'"},
                        Case{R"({"format": "linvideo-student", "schedule": {"raw_timesteps": [1000], "shift": -1}})",
                             "'shift'"},
                        Case{R"({"format": "linvideo-student", "schedule": {"raw_timesteps": [500, 900], "shift": 3}})",
                             "decrease"}}) {
    const std::string e = error_for(c.manifest);
    EXPECT_NE(e.find(file), std::string::npos) << c.manifest << " -> " << e;
    EXPECT_NE(e.find(c.says), std::string::npos) << c.manifest << " -> " << e;
  }
  // More than 1000 timesteps is refused before anything is built from them.
  std::string many = R"({"format": "linvideo-student", "schedule": {"shift": 3, "raw_timesteps": [)";
  for (int i = 0; i < 1001; ++i) many += (i ? "," : "") + std::to_string(1000 - i * 0.5);
  EXPECT_NE(error_for(many + "]}}").find("1 to 1000"), std::string::npos);
  // Asking whether a hostile file is a student never throws.
  io::write_safetensors(file, {{"x", w}}, {{"linvideo", R"({"format": {"nested": true}})"}});
  EXPECT_FALSE(is_student_file(file));
}

TEST(Distill, BadOptionsAreOneLineErrorsNamingTheOption) {
  auto t2v = test::tiny_pipeline();
  const DistillOptions good = tiny_options(*t2v, "distill-bad");
  auto expect = [&](DistillOptions o, const std::string& option) {
    const std::string e = error_of(*t2v, o);
    EXPECT_NE(e.find(option), std::string::npos) << "'" << e << "' should name " << option;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  };
  DistillOptions o = good;
  o.critic_updates = 0, expect(o, "--critic-updates");
  o = good, o.student_timesteps = {500, 750}, expect(o, "--student-timesteps");
  o = good, o.student_timesteps = {1200}, expect(o, "--student-timesteps");
  o = good, o.lr_generator = 0, expect(o, "--lr-gen");
  o = good, o.lr_critic = -1, expect(o, "--lr-critic");
  o = good, o.ema_decay = 1.0, expect(o, "--ema-decay");
  o = good, o.t_low = 0.9, o.t_high = 0.5, expect(o, "--t-low");
  o = good, o.precision = "fp16", expect(o, "--precision");
  o = good, o.gradient_checkpointing = "yes", expect(o, "--grad-checkpoint");
  o = good, o.sidecar.clear(), expect(o, "--sidecar");
  o = good, o.prompts.clear(), expect(o, "--prompts");
  o = good, o.settings.frames = 4, expect(o, "--frames");
}

TEST(Distill, DivergingRunStopsKeepingTheLastGoodCheckpoint) {
  auto t2v = test::tiny_pipeline();
  DistillOptions o = tiny_options(*t2v, "distill-nan");
  o.lr_generator = 1e36, o.weight_decay = 0;  // step 1 leaves weights near 1e36: the next pass overflows
  o.checkpoint_every = 1;
  const std::string e = error_of(*t2v, o);
  EXPECT_NE(e.find("non-finite"), std::string::npos) << e;
  EXPECT_NE(e.find("step 2"), std::string::npos) << e;
  EXPECT_NE(e.find("checkpoint (step 1)"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_EQ(train::read_progress(o.run_dir).step, 1);
}
