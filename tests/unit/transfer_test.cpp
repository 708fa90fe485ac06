// The LinVideo trainer on a tiny model: selection reaches the target, both objectives pull the
// student towards the teacher, a cancelled run resumes to exactly the uninterrupted run, and bad
// runs stop with a clear error. Per-block gradient checkpointing gives the same gradients and runs;
// bf16 autocast keeps fp32 master weights and an fp32 linear-attention branch.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <cmath>
#include <limits>
#include <map>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/atomic_write.h"
#include "core/io/safetensors.h"
#include "core/method/sidecar.h"
#include "core/method/trajectory_cache.h"
#include "core/method/transfer.h"
#include "core/model/attention.h"
#include "core/model/autocast.h"
#include "core/model/block_checkpoint.h"
#include "core/train/training_state.h"
#include "tests/unit/tiny_pipeline.h"

using namespace linvideo;
namespace fs = std::filesystem;

namespace {

std::string tiny_cache(pipeline::TextToVideo& t2v, const std::string& name) {
  method::CacheOptions c;
  c.dir = test::temp_dir() + "/" + name;
  c.prompts = {"a red circle", "a blue square", "a green triangle"};
  auto s = test::tiny_settings();
  s.steps = 4;
  method::build_trajectory_cache(t2v, s, c);
  return c.dir;
}

// Mean squared difference between the current model's guided velocity and the teacher's cached one.
double velocity_gap(pipeline::TextToVideo& t2v, const std::string& cache_dir) {
  at::NoGradGuard no_grad;
  const auto cache = method::read_trajectory_cache(cache_dir);
  double sum = 0;
  int n = 0;
  for (const auto& c : cache.trajectories) {
    for (std::int64_t j = 0; j < c.x_t.size(0); ++j) {
      const at::Tensor x = c.x_t.narrow(0, j, 1), t = at::full({1}, c.t[j].item<double>());
      const at::Tensor cond = t2v.dit().forward(x, t, c.context), uncond = t2v.dit().forward(x, t, c.negative_context);
      const at::Tensor u = uncond + cache.guidance * (cond - uncond);
      sum += (u - c.u_t.narrow(0, j, 1)).pow(2).mean().item<double>(), ++n;
    }
  }
  return sum / n;
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

}  // namespace

TEST(Transfer, SelectionEndsWithExactlyKLinearLayers) {
  auto t2v = test::tiny_pipeline();
  method::TransferOptions o;
  o.cache_dir = tiny_cache(*t2v, "cache-select");
  o.run_dir = test::temp_dir() + "/select";
  o.target_linear = 2;  // of 3
  o.objective = "mse";
  o.steps = 80;
  o.lr_r = 3e-2;
  o.lambda = 1.0;
  o.warmup_steps = 20;
  const auto r = method::run_transfer(*t2v, o);
  EXPECT_EQ(r.linear_layers.size(), 2u);
  EXPECT_GE(r.rounded_linear, 0);
  // The scores did train: the last metrics line differs from the initial r.
  std::ifstream in(o.run_dir + "/metrics.jsonl");
  std::string line, last;
  while (std::getline(in, line)) last = line;
  const nlohmann::json metrics = nlohmann::json::parse(last);  // kept: a range-for over a temporary's member dangles (ASan)
  for (double v : metrics.at("r")) EXPECT_NE(v, o.r_init);
  ASSERT_TRUE(fs::exists(r.sidecar));
  int linear = 0;
  for (int l = 0; l < 3; ++l) {
    const auto& st = t2v->dit().attention_state(l);
    const double score = st.mix_score.item<double>();
    EXPECT_TRUE(score == 0.0 || score == 1.0) << "r of layer " << l + 1 << " = " << score;
    linear += st.mode == model::AttentionMode::Linear;
  }
  EXPECT_EQ(linear, 2);
}

TEST(Transfer, MseAndAdmBothBringTheLinearisedStudentCloserToTheTeacher) {
  for (const char* objective : {"mse", "adm"}) {
    SCOPED_TRACE(objective);
    auto t2v = test::tiny_pipeline();
    const std::string cache = tiny_cache(*t2v, std::string("cache-") + objective);
    method::TransferOptions o;
    o.cache_dir = cache;
    o.run_dir = test::temp_dir() + "/fixed-" + objective;
    o.objective = objective;
    o.fixed_linear = {1, 2, 3};  // every layer linear: a large, measurable gap
    o.steps = 0;                 // first only the warm-up: the untrained, transfer-initialised W
    o.warmup_steps = 20;
    o.lr = 1e-3;  // (with 1e-2, or 3e-3 over 200 steps, ADM drifts away on this random teacher)
    o.lr_schedule = "constant";  // what each objective does at one rate (the cosine decay halves the path)
    method::run_transfer(*t2v, o);
    const double before = velocity_gap(*t2v, cache);
    o.steps = 60;
    o.run_dir += "-trained";
    auto t2v_trained = test::tiny_pipeline();
    method::run_transfer(*t2v_trained, o);
    const double after = velocity_gap(*t2v_trained, cache);
    EXPECT_LT(after, 0.8 * before) << "before " << before << " after " << after;
  }
}

TEST(Transfer, CancelledRunResumesToExactlyTheUninterruptedRun) {
  auto t2v = test::tiny_pipeline();
  method::TransferOptions o;
  o.cache_dir = tiny_cache(*t2v, "cache-resume");
  o.target_linear = 1;
  o.objective = "adm";
  o.steps = 8;
  o.checkpoint_every = 3;
  o.warmup_steps = 10;
  const std::string straight_dir = test::temp_dir() + "/straight";
  o.run_dir = straight_dir;
  const auto straight = method::run_transfer(*t2v, o);

  // Cancelled after step 5 (one step past the checkpoint at 3: the cancel itself checkpoints).
  o.run_dir = test::temp_dir() + "/interrupted";
  pipeline::CancelToken cancel;
  auto first = test::tiny_pipeline();
  const auto part = method::run_transfer(
      *first, o, [&](const method::TransferStep& s) { if (s.step == 5) cancel.cancel(); }, {}, &cancel);
  EXPECT_TRUE(part.cancelled);
  EXPECT_EQ(part.steps_done, 5);
  EXPECT_TRUE(part.sidecar.empty());
  auto second = test::tiny_pipeline();  // a new process: fresh model, state from the run folder
  const auto resumed = method::run_transfer(*second, o);
  EXPECT_FALSE(resumed.cancelled);
  EXPECT_EQ(resumed.steps_done, 8);
  EXPECT_EQ(metric_lines(straight_dir), metric_lines(o.run_dir));
  const io::SafetensorsFile a(straight.sidecar), b(resumed.sidecar);
  for (const auto& e : a.header().tensors) EXPECT_TRUE(at::equal(a.tensor(e.name), b.tensor(e.name))) << e.name;

  // The same folder with other options is refused, naming config.json.
  o.lr *= 2;
  try {
    method::run_transfer(*second, o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
  }
}

TEST(Transfer, DivergenceStopsWithAClearErrorAndKeepsTheLastGoodCheckpoint) {
  auto t2v = test::tiny_pipeline();
  method::TransferOptions o;
  o.cache_dir = tiny_cache(*t2v, "cache-nan");
  // One trajectory's teacher velocities turn to NaN: the first step that draws it diverges.
  const std::string shard = o.cache_dir + "/shard-000002.safetensors";
  {
    const io::SafetensorsFile f(shard);
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& e : f.header().tensors) {
      at::Tensor t = f.tensor(e.name).clone();
      if (e.name == "u_t") t.fill_(std::numeric_limits<float>::quiet_NaN());
      tensors.emplace_back(e.name, t);
    }
    io::write_safetensors(shard, tensors, {});
  }
  o.run_dir = test::temp_dir() + "/nan";
  o.fixed_linear = {1, 2, 3};
  o.objective = "mse";
  o.steps = 30;
  o.checkpoint_every = 1;
  o.warmup_steps = 0;
  try {
    method::run_transfer(*t2v, o);
    FAIL() << "expected a divergence error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("non-finite"), std::string::npos) << msg;
    EXPECT_NE(msg.find(o.run_dir), std::string::npos) << msg;
  }
  const auto p = train::read_progress(o.run_dir);
  EXPECT_LT(p.step, 30);
  // Every checkpoint on disk holds finite weights.
  for (const auto& entry : fs::directory_iterator(o.run_dir)) {
    if (entry.path().filename().string().rfind("step-", 0) != 0) continue;
    const io::SafetensorsFile f((entry.path() / "weights.safetensors").string());
    for (const auto& e : f.header().tensors) EXPECT_TRUE(at::isfinite(f.tensor(e.name)).all().item<bool>()) << e.name;
  }
}

TEST(Transfer, BadOptionsAreOneLineErrorsNamingTheOption) {
  auto t2v = test::tiny_pipeline();
  method::TransferOptions o;
  o.run_dir = test::temp_dir() + "/bad";
  o.cache_dir = test::temp_dir() + "/no-cache";
  o.target_linear = 3;  // of 3: nothing would stay softmax
  EXPECT_THROW(method::run_transfer(*t2v, o), Error);
  o.target_linear = 1;
  o.objective = "kl";
  EXPECT_THROW(method::run_transfer(*t2v, o), Error);
  o.objective = "adm";
  try {
    method::run_transfer(*t2v, o);
    FAIL() << "expected a missing-cache error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no-cache"), std::string::npos) << e.what();
  }
}

// A second phase starts from the first phase's maps (--init-sidecar), not from a new warm-up:
// with no steps its sidecar holds exactly the maps it started from; with steps they move on.
TEST(Transfer, InitSidecarStartsTheMapsFromAnEarlierRun) {
  auto t2v = test::tiny_pipeline();
  method::TransferOptions o;
  o.cache_dir = tiny_cache(*t2v, "cache-init");
  o.run_dir = test::temp_dir() + "/phase1";
  o.objective = "mse";
  o.fixed_linear = {1, 3};
  o.steps = 5;
  o.warmup_steps = 10;
  const auto first = method::run_transfer(*t2v, o);

  o.init_sidecar = first.sidecar;
  o.warmup_steps = 10;  // ignored: the maps come from the sidecar
  o.steps = 0;
  o.run_dir = test::temp_dir() + "/phase2-0";
  auto second = test::tiny_pipeline();
  const auto copied = method::run_transfer(*second, o);
  const io::SafetensorsFile a(first.sidecar), b(copied.sidecar);
  for (const char* name : {"blocks.0.self_attn.linvideo.w_q", "blocks.2.self_attn.linvideo.w_k"}) {
    EXPECT_TRUE(at::equal(a.tensor(name), b.tensor(name))) << name;
  }
  o.steps = 5;
  o.run_dir = test::temp_dir() + "/phase2-5";
  auto third = test::tiny_pipeline();
  const auto trained = method::run_transfer(*third, o);
  const io::SafetensorsFile c(trained.sidecar);
  EXPECT_FALSE(at::equal(a.tensor("blocks.0.self_attn.linvideo.w_q"), c.tensor("blocks.0.self_attn.linvideo.w_q")));
  // The start is part of the run's identity, recorded in config.json.
  EXPECT_NE(read_text_file(o.run_dir + "/config.json").find(first.sidecar), std::string::npos);
}

// The finished run's sidecar says what the run knew: each layer's score before rounding (the last
// metrics line), r over every step, and the warm-up's transfer errors.
TEST(Transfer, TheSidecarCarriesTheRunsScoresAndTheirTrajectory) {
  auto t2v = test::tiny_pipeline();
  method::TransferOptions o;
  o.cache_dir = tiny_cache(*t2v, "cache-scores");
  o.run_dir = test::temp_dir() + "/scores";
  o.objective = "mse";
  o.target_linear = 1;
  o.steps = 4;
  o.warmup_steps = 5;
  const auto run = method::run_transfer(*t2v, o);
  const method::SidecarScores s = method::read_sidecar_scores(run.sidecar);
  ASSERT_TRUE(s.r_trajectory.defined());
  EXPECT_EQ(s.r_trajectory.size(0), 4);
  const std::vector<std::string> lines = metric_lines(o.run_dir);
  const nlohmann::json last = nlohmann::json::parse(lines.back());
  const int layers = static_cast<int>(t2v->dit().num_layers());
  ASSERT_EQ(s.r_trained.size(), static_cast<std::size_t>(layers));
  ASSERT_EQ(s.transfer_error.size(), static_cast<std::size_t>(layers));
  for (int l = 0; l < layers; ++l) {
    ASSERT_TRUE(s.r_trained[l].has_value());
    EXPECT_DOUBLE_EQ(*s.r_trained[l], last["r"][l].get<double>()) << l;
    EXPECT_FLOAT_EQ(s.r_trajectory[3][l].item<float>(), static_cast<float>(last["r"][l].get<double>())) << l;
    ASSERT_TRUE(s.transfer_error[l].has_value()) << l;
    EXPECT_GT(*s.transfer_error[l], 0.0);
  }
}

// The cache is the teacher's: a model with linear layers (a sidecar installed) caches the same
// softmax trajectories as the all-softmax model, and its layers come back as they were.
TEST(TrajectoryCache, IsTheTeachersWhateverTheModelsLayersAndReportsEachShard) {
  auto t2v = test::tiny_pipeline();
  const std::string teacher = tiny_cache(*t2v, "cache-teacher");
  model::WanDiT& dit = t2v->dit();
  for (std::int64_t l : {0, 2}) {
    auto& st = dit.attention_state(l);
    st.init_linear_branch(dit.config().num_heads, dit.config().head_dim(), dit.options().device);
    st.mode = model::AttentionMode::Linear;
  }
  method::CacheOptions c;
  c.dir = test::temp_dir() + "/cache-with-linear-layers";
  c.prompts = {"a red circle", "a blue square", "a green triangle"};
  std::vector<std::pair<std::int64_t, std::int64_t>> reports;
  c.on_shard = [&](std::int64_t done, std::int64_t total) { reports.emplace_back(done, total); };
  auto s = test::tiny_settings();
  s.steps = 4;
  c.max_jobs = 2;
  method::build_trajectory_cache(*t2v, s, c);
  c.max_jobs = -1;  // resumed: the third shard
  method::build_trajectory_cache(*t2v, s, c);
  EXPECT_EQ(reports, (std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 3}, {2, 3}, {3, 3}}));
  EXPECT_EQ(dit.attention_state(0).mode, model::AttentionMode::Linear);
  EXPECT_EQ(dit.attention_state(1).mode, model::AttentionMode::Softmax);
  EXPECT_EQ(dit.attention_state(2).mode, model::AttentionMode::Linear);

  const auto a = method::read_trajectory_cache(teacher);
  const auto b = method::read_trajectory_cache(c.dir);
  ASSERT_EQ(a.trajectories.size(), b.trajectories.size());
  for (std::size_t i = 0; i < a.trajectories.size(); ++i) {
    EXPECT_TRUE(at::equal(a.trajectories[i].x_t, b.trajectories[i].x_t)) << i;
    EXPECT_TRUE(at::equal(a.trajectories[i].u_t, b.trajectories[i].u_t)) << i;
  }
}

// A fresh run starts from identity maps (then the warm-up), not from maps the model already had:
// the studio's model (its shipped sidecar installed) and the CLI's give the same run.
TEST(Transfer, AFreshRunStartsFromIdentityMapsNotTheModelsOwn) {
  auto plain = test::tiny_pipeline();
  method::TransferOptions o;
  o.cache_dir = tiny_cache(*plain, "cache-fresh");
  o.objective = "mse";
  o.fixed_linear = {1, 3};
  o.steps = 2;
  o.warmup_steps = 0;
  o.run_dir = test::temp_dir() + "/fresh-plain";
  const auto a = method::run_transfer(*plain, o);

  auto with_maps = test::tiny_pipeline();
  model::WanDiT& dit = with_maps->dit();
  at::manual_seed(5);
  for (std::int64_t l = 0; l < dit.num_layers(); ++l) {  // as a sidecar would leave them
    auto& st = dit.attention_state(l);
    st.init_linear_branch(dit.config().num_heads, dit.config().head_dim(), dit.options().device);
    st.w_q = st.w_q + 0.2 * at::randn_like(st.w_q);
    st.w_k = st.w_k + 0.2 * at::randn_like(st.w_k);
    st.mode = model::AttentionMode::Linear;
  }
  o.run_dir = test::temp_dir() + "/fresh-with-maps";
  const auto b = method::run_transfer(*with_maps, o);
  const io::SafetensorsFile fa(a.sidecar), fb(b.sidecar);
  for (const auto& e : fa.header().tensors) EXPECT_TRUE(at::equal(fa.tensor(e.name), fb.tensor(e.name))) << e.name;
}

// ---- Per-block gradient checkpointing and mixed precision ---------------------------------------

namespace {

// The trainable state of a selection run on every layer of `dit`: mixed mode, W_q, W_k (perturbed
// away from identity so that every term matters) and r = 0.7, all fp32 leaves requiring grad.
std::vector<at::Tensor> make_trainable(model::WanDiT& dit, std::uint64_t seed) {
  at::manual_seed(seed);
  std::vector<at::Tensor> leaves;
  for (std::int64_t l = 0; l < dit.num_layers(); ++l) {
    auto& st = dit.attention_state(l);
    st.init_linear_branch(dit.config().num_heads, dit.config().head_dim(), dit.options().device);
    st.w_q = (st.w_q + 0.1 * at::randn_like(st.w_q)).detach().requires_grad_(true);
    st.w_k = (st.w_k + 0.1 * at::randn_like(st.w_k)).detach().requires_grad_(true);
    st.mix_score = at::full({}, 0.7, st.w_q.options()).detach().requires_grad_(true);
    st.mode = model::AttentionMode::Mixed;
    leaves.insert(leaves.end(), {st.w_q, st.w_k, st.mix_score});
  }
  return leaves;
}

struct StepResult {
  double loss = 0;
  std::vector<at::Tensor> grads;
};

// One training-style gradient pass: MSE of the velocity to a fixed target, backward into the leaves.
StepResult gradient_pass(model::WanDiT& dit, const std::vector<at::Tensor>& leaves, bool checkpointing,
                         bool bf16 = false) {
  const at::Device dev = dit.options().device;
  at::manual_seed(11);
  const auto c = dit.config();
  const at::Tensor x = at::randn({1, c.in_dim, 2, 4, 4}).to(dev);
  const at::Tensor target = at::randn({1, c.out_dim, 2, 4, 4}).to(dev);
  const at::Tensor t = at::full({1}, 500.0).to(dev);
  model::TextCondition cond;
  {
    at::NoGradGuard no_grad;
    cond = dit.encode_condition(at::randn({1, 4, c.text_dim}).to(dev));
  }
  for (const auto& l : leaves) {
    if (l.grad().defined()) l.mutable_grad().zero_();
  }
  dit.set_gradient_checkpointing(checkpointing);
  at::Tensor loss;
  {
    const model::AutocastScope autocast(dev.type(), bf16, at::kBFloat16);
    loss = (dit.forward(x, t, cond) - target).pow(2).mean();
  }
  loss.backward();
  dit.set_gradient_checkpointing(false);
  StepResult r;
  r.loss = loss.item<double>();
  for (const auto& l : leaves) r.grads.push_back(l.grad().defined() ? l.grad().clone() : at::Tensor());
  return r;
}

void expect_same_gradients(const StepResult& a, const StepResult& b, double rtol, double atol) {
  EXPECT_NEAR(a.loss, b.loss, 1e-6 * std::abs(a.loss));
  ASSERT_EQ(a.grads.size(), b.grads.size());
  for (std::size_t i = 0; i < a.grads.size(); ++i) {
    SCOPED_TRACE("layer " + std::to_string(i / 3) + ", " + std::string(i % 3 == 0 ? "w_q" : i % 3 == 1 ? "w_k" : "r"));
    ASSERT_TRUE(a.grads[i].defined());
    ASSERT_TRUE(b.grads[i].defined()) << "checkpointing dropped the gradient";
    EXPECT_GT(a.grads[i].abs().max().item<double>(), 0.0);
    EXPECT_TRUE(at::allclose(a.grads[i], b.grads[i], rtol, atol))
        << "max difference " << (a.grads[i] - b.grads[i]).abs().max().item<double>();
  }
}

bool cpu_bf16_autocast_available() {
  const model::AutocastScope autocast(at::kCPU, true, at::kBFloat16);
  const at::Tensor w = at::randn({4, 4});
  return at::linear(at::randn({2, 4}), w).scalar_type() == at::kBFloat16;
}

std::vector<double> metric_totals(const std::string& run) {
  std::ifstream in(run + "/metrics.jsonl");
  std::vector<double> totals;
  for (std::string l; std::getline(in, l);) totals.push_back(nlohmann::json::parse(l)["losses"]["total"].get<double>());
  return totals;
}

}  // namespace

TEST(GradCheckpoint, BlockIsRecomputedAndCapturedLeavesGetTheirGradient) {
  at::manual_seed(5);
  const at::Tensor w = at::randn({3, 3}).requires_grad_(true);  // captured, not an input
  const at::Tensor x = at::randn({2, 3});                       // no grad: like the first block's input
  const at::Tensor y = at::randn({2, 3}).requires_grad_(true);
  int calls = 0;
  const model::BlockFunction block = [&](const std::vector<at::Tensor>& in) {
    ++calls;
    return at::tanh(at::matmul(in[0], w)) * in[1];
  };
  const at::Tensor direct = block({x, y}).sum();
  direct.backward();
  const at::Tensor gw = w.grad().clone(), gy = y.grad().clone();
  w.mutable_grad().zero_(), y.mutable_grad().zero_();
  calls = 0;
  const at::Tensor out = model::checkpoint_block(block, {x, y}, {w});
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(out.requires_grad());
  out.sum().backward();
  EXPECT_EQ(calls, 2);  // the backward re-ran the block
  EXPECT_TRUE(at::allclose(w.grad(), gw, 1e-6, 1e-8));
  EXPECT_TRUE(at::allclose(y.grad(), gy, 1e-6, 1e-8));

  // Without gradients (inference) the block just runs.
  calls = 0;
  {
    at::NoGradGuard no_grad;
    model::checkpoint_block(block, {x, y}, {w});
  }
  EXPECT_EQ(calls, 1);
}

TEST(GradCheckpoint, DiTGradientsOfWqWkAndRMatchTheUncheckpointedPass) {
  auto t2v = test::tiny_pipeline();
  model::WanDiT& dit = t2v->dit();
  const auto leaves = make_trainable(dit, 1);
  const StepResult plain = gradient_pass(dit, leaves, false);
  const StepResult checkpointed = gradient_pass(dit, leaves, true);
  expect_same_gradients(plain, checkpointed, 1e-5, 1e-8);
  EXPECT_FALSE(dit.gradient_checkpointing());
}

TEST(GradCheckpoint, TransferRunReproducesTheMetricsOfTheRunWithout) {
  method::TransferOptions o;
  EXPECT_FALSE(method::uses_gradient_checkpointing(o, at::kCPU));  // auto: off on the CPU
  EXPECT_TRUE(method::uses_gradient_checkpointing(o, at::Device(at::kCUDA, 0)));
  o.target_linear = 1;
  o.objective = "adm";
  o.steps = 4;
  o.warmup_steps = 5;
  std::map<std::string, std::vector<double>> totals;
  for (const char* mode : {"off", "on"}) {
    auto t2v = test::tiny_pipeline();
    if (o.cache_dir.empty()) o.cache_dir = tiny_cache(*t2v, "cache-checkpointing");
    o.gradient_checkpointing = mode;
    o.run_dir = test::temp_dir() + "/checkpointing-" + mode;
    method::run_transfer(*t2v, o);
    EXPECT_FALSE(t2v->dit().gradient_checkpointing());  // restored after the run
    totals[mode] = metric_totals(o.run_dir);
    const auto config = nlohmann::json::parse(read_text_file(o.run_dir + "/config.json"));
    EXPECT_EQ(config.at("gradient_checkpointing").get<bool>(), std::string(mode) == "on");
    EXPECT_EQ(config.at("precision").get<std::string>(), "fp32");
  }
  ASSERT_EQ(totals["off"].size(), 4u);
  ASSERT_EQ(totals["on"].size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(totals["on"][i], totals["off"][i], 1e-5 * std::abs(totals["off"][i])) << "step " << i + 1;
  }
  // Resuming the checkpointed run folder without checkpointing is refused (config.json).
  o.gradient_checkpointing = "off";
  auto t2v = test::tiny_pipeline();
  EXPECT_THROW(method::run_transfer(*t2v, o), Error);
}

TEST(MixedPrecision, LinearAttentionStaysFloat32UnderAutocast) {
  if (!cpu_bf16_autocast_available()) GTEST_SKIP() << "no CPU bf16 autocast in this LibTorch";
  at::manual_seed(2);
  const at::Tensor q = at::randn({1, 2, 6, 4}), k = at::randn({1, 2, 6, 4}), v = at::randn({1, 2, 6, 4});
  const at::Tensor w = at::randn({2, 4, 4});
  const at::Tensor ref = model::linear_attention(q, k, v, w, w);
  at::Tensor under, features;
  {
    const model::AutocastScope autocast(at::kCPU, true, at::kBFloat16);
    under = model::linear_attention(q, k, v, w, w);
    features = model::hedgehog_features(q, w);
    EXPECT_EQ(at::matmul(q, k.transpose(-2, -1)).scalar_type(), at::kBFloat16);  // autocast is on outside it
  }
  EXPECT_EQ(features.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(under, ref));
  EXPECT_FALSE(model::autocast_state(at::kCPU).enabled);  // restored
}

TEST(MixedPrecision, Bf16AutocastStepKeepsFloat32MasterWeightsAndTheLossCloseToFloat32) {
  if (!cpu_bf16_autocast_available()) GTEST_SKIP() << "no CPU bf16 autocast in this LibTorch";
  auto t2v = test::tiny_pipeline();
  model::WanDiT& dit = t2v->dit();
  const auto leaves = make_trainable(dit, 1);
  const StepResult fp32 = gradient_pass(dit, leaves, false);
  const StepResult bf16 = gradient_pass(dit, leaves, false, /*bf16=*/true);
  const StepResult bf16_checkpointed = gradient_pass(dit, leaves, true, true);
  EXPECT_NE(bf16.loss, fp32.loss);  // autocast did engage
  EXPECT_NEAR(bf16.loss, fp32.loss, 0.05 * fp32.loss);
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    EXPECT_EQ(leaves[i].scalar_type(), at::kFloat);
    ASSERT_TRUE(bf16.grads[i].defined());
    EXPECT_EQ(bf16.grads[i].scalar_type(), at::kFloat);
    EXPECT_TRUE(at::isfinite(bf16.grads[i]).all().item<bool>());
    // Loose: bf16 has 8 bits of mantissa.
    const double scale = fp32.grads[i].abs().max().item<double>();
    EXPECT_LT((bf16.grads[i] - fp32.grads[i]).abs().max().item<double>(), 0.25 * scale + 1e-6);
  }
  // Checkpointing recomputes under the forward's autocast state: the same bf16 gradients.
  expect_same_gradients(bf16, bf16_checkpointed, 1e-3, 1e-6);

  // A short trainer run in bf16: finite, fp32 maps in the sidecar, losses near the fp32 run's.
  std::map<std::string, std::vector<double>> totals;
  method::TransferOptions o;
  o.target_linear = 1;
  o.objective = "mse";
  o.steps = 3;
  o.warmup_steps = 5;
  for (const char* precision : {"fp32", "bf16"}) {
    auto run_t2v = test::tiny_pipeline();
    if (o.cache_dir.empty()) o.cache_dir = tiny_cache(*run_t2v, "cache-bf16");
    o.precision = precision;
    o.run_dir = test::temp_dir() + "/precision-" + precision;
    const auto result = method::run_transfer(*run_t2v, o);
    totals[precision] = metric_totals(o.run_dir);
    const auto config = nlohmann::json::parse(read_text_file(o.run_dir + "/config.json"));
    EXPECT_EQ(config.at("precision").get<std::string>(), precision);
    const io::SafetensorsFile sidecar(result.sidecar);
    for (const auto& e : sidecar.header().tensors) EXPECT_EQ(sidecar.tensor(e.name).scalar_type(), at::kFloat) << e.name;
  }
  ASSERT_EQ(totals["bf16"].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(std::isfinite(totals["bf16"][i]));
    EXPECT_NEAR(totals["bf16"][i], totals["fp32"][i], 0.1 * std::abs(totals["fp32"][i])) << "step " << i + 1;
  }
}

TEST(MixedPrecision, CudaBf16WithCheckpointingMatchesAndKeepsFloat32MasterWeights) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  model::DitConfig c;
  c.dim = 32, c.ffn_dim = 64, c.num_heads = 2, c.num_layers = 3, c.text_dim = 16, c.text_len = 8;
  model::DitLoadOptions load;
  load.device = at::Device(at::kCUDA, 0);
  auto dit = model::WanDiT::random(c, load, 3);
  const auto leaves = make_trainable(*dit, 1);
  const StepResult fp32 = gradient_pass(*dit, leaves, false);
  const StepResult fp32_checkpointed = gradient_pass(*dit, leaves, true);
  expect_same_gradients(fp32, fp32_checkpointed, 1e-4, 1e-7);
  const StepResult bf16 = gradient_pass(*dit, leaves, false, true);
  const StepResult bf16_checkpointed = gradient_pass(*dit, leaves, true, true);
  EXPECT_NEAR(bf16.loss, fp32.loss, 0.05 * fp32.loss);
  expect_same_gradients(bf16, bf16_checkpointed, 1e-3, 1e-6);
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    EXPECT_EQ(leaves[i].scalar_type(), at::kFloat);
    EXPECT_EQ(bf16.grads[i].scalar_type(), at::kFloat);
  }
}
