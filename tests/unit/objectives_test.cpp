// LinVideo's objectives: what each term does to the scores r and to the student.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>
#include <torch/optim/adam.h>

#include "core/method/objectives.h"
#include "core/model/wan_dit.h"
#include "tests/unit/tiny_pipeline.h"

using namespace linvideo;
using namespace linvideo::method;

TEST(Objectives, RegulariserBinarisesScoresAsAlphaAnneals) {
  at::Tensor r = at::tensor({0.62f, 0.41f, 0.55f, 0.30f, 0.71f}).requires_grad_(true);
  torch::optim::Adam opt({r}, torch::optim::AdamOptions(1e-2));
  const int steps = 400;
  for (int step = 0; step < steps; ++step) {
    const at::Tensor loss = binarization_loss(r, alpha_at(step, steps));
    opt.zero_grad();
    loss.backward();
    opt.step();
    at::NoGradGuard g;
    r.clamp_(0, 1);
  }
  // Every score ends near 0 or 1, on the side it started.
  const at::Tensor end = r.detach();
  EXPECT_LT((end - at::round(end)).abs().max().item<float>(), 0.05f) << end;
  EXPECT_TRUE(at::equal(at::round(end), at::tensor({1.f, 0.f, 1.f, 0.f, 1.f})));
  EXPECT_NEAR(alpha_at(0, 100), 20.0, 1e-12);
  EXPECT_NEAR(alpha_at(99, 100), 2.0, 1e-12);
}

TEST(Objectives, ConstraintDrivesTheRoundedCountToTarget) {
  const int n = 8, k = 3;
  at::Tensor r = (1.0 - 0.01 * at::arange(n, at::kFloat)).requires_grad_(true);  // all start softmax
  torch::optim::Adam opt({r}, torch::optim::AdamOptions(2e-2));
  for (int step = 0; step < 300; ++step) {
    const at::Tensor loss = constraint_loss(r, k) + 0.01 * binarization_loss(r, alpha_at(step, 300));
    opt.zero_grad();
    loss.backward();
    opt.step();
    at::NoGradGuard g;
    r.clamp_(0, 1);
  }
  EXPECT_EQ(at::round(r.detach()).sum().item<float>(), static_cast<float>(n - k)) << r;
  // Straight-through: rounding in the forward pass, identity in the backward pass.
  at::Tensor x = at::tensor({0.3f, 0.8f}).requires_grad_(true);
  round_ste(x).sum().backward();
  EXPECT_TRUE(at::equal(x.grad(), at::ones({2})));
}

// L_reg has no slope at r = 1/2 (the stuck score of docs/results.md); the tie-break gives one,
// towards the side the score's rank asks for, and nothing outside its band.
TEST(Objectives, TieBreakPushesScoresOffOneHalfByRank) {
  at::Tensor r = at::full({4}, 0.5, at::kFloat).requires_grad_(true);
  binarization_loss(r, 20.0).backward();
  EXPECT_EQ(r.grad().abs().max().item<float>(), 0.0f);

  // All four at 1/2, k = 2: the two deeper layers stay softmax (pushed up: negative gradient).
  const at::Tensor g = tie_break_gradient(at::full({4}, 0.5, at::kFloat), 2);
  EXPECT_TRUE(at::equal(g, at::tensor({2.0f, 2.0f, -2.0f, -2.0f})));
  // Ranked by score first: 0.9 and the deeper 1/2 are the two kept; scores off the band get nothing.
  const at::Tensor h = tie_break_gradient(at::tensor({0.9f, 0.5f, 0.1f, 0.505f}), 2);
  EXPECT_TRUE(at::equal(h, at::tensor({0.0f, 2.0f, 0.0f, -2.0f}))) << h;
  const at::Tensor none = tie_break_gradient(at::tensor({0.9f, 0.7f, 0.1f, 0.2f}), 2);
  EXPECT_EQ(none.abs().sum().item<float>(), 0.0f);
  // One gradient-descent step moves each score the way its rank says.
  at::Tensor s = at::full({4}, 0.5, at::kFloat);
  s -= 0.01 * tie_break_gradient(s, 1);
  EXPECT_LT(s[0].item<float>(), 0.5f);
  EXPECT_GT(s[3].item<float>(), 0.5f);
}

TEST(Objectives, CosineRateFallsFromTheBaseToItsFloor) {
  EXPECT_DOUBLE_EQ(cosine_lr(1e-3, 0, 100, 0.1), 1e-3);
  EXPECT_NEAR(cosine_lr(1e-3, 50, 100, 0.1), 0.55e-3, 1e-12);
  EXPECT_NEAR(cosine_lr(1e-3, 100, 100, 0.1), 1e-4, 1e-12);
  double last = 1;
  for (int step = 0; step <= 100; ++step) {  // never rises
    const double lr = cosine_lr(1.0, step, 100, 0.0);
    EXPECT_LE(lr, last + 1e-15) << step;
    last = lr;
  }
}

TEST(Objectives, AdmSurrogateGradientIsTheScoreDifference) {
  at::manual_seed(0);
  const at::Tensor x = at::randn({2, 4, 1, 2, 2}).requires_grad_(true);
  const at::Tensor ut = at::randn({2, 4, 1, 2, 2}), us = at::randn({2, 4, 1, 2, 2});
  const at::Tensor t = at::tensor({0.5f, 0.01f});  // the second is clipped to t_min
  adm_surrogate(x, ut, us, t, 0.02, /*normalize=*/false).backward();
  const at::Tensor tc = at::tensor({0.5f, 0.02f}).view({-1, 1, 1, 1, 1});
  const at::Tensor g = (1 - tc) / tc * (ut - us) / 2;  // mean over the batch of 2
  EXPECT_TRUE(at::allclose(x.grad(), g, 1e-5, 1e-6));
}

TEST(Objectives, GradientsReachScoresAndMapsAndMseTrainingReducesTheGap) {
  auto t2v = test::tiny_pipeline();
  model::WanDiT& dit = t2v->dit();
  std::vector<at::Tensor> params;
  for (int l = 0; l < dit.num_layers(); ++l) {
    auto& s = dit.attention_state(l);
    s.init_linear_branch(dit.config().num_heads, dit.config().head_dim(), at::kCPU);
    s.mode = model::AttentionMode::Mixed;
    s.mix_score.fill_(0.5);
    for (at::Tensor* p : {&s.w_q, &s.w_k, &s.mix_score}) {
      p->requires_grad_(true);
      params.push_back(*p);
    }
  }
  at::manual_seed(1);
  const at::Tensor x = at::randn({1, 16, 2, 4, 4}), tt = at::full({1}, 600.0), ctx = at::randn({1, 4, 16});
  const auto cond = dit.encode_condition(ctx);
  const at::Tensor teacher = dit.forward(x, tt, cond).detach() * 0.9;  // a reachable target
  torch::optim::Adam opt(params, torch::optim::AdamOptions(5e-3));
  double first = 0, last = 0;
  for (int step = 0; step < 40; ++step) {
    const at::Tensor loss = mse_objective(dit.forward(x, tt, cond), teacher);
    opt.zero_grad();
    loss.backward();
    if (step == 0) {
      first = loss.item<double>();
      for (int l = 0; l < dit.num_layers(); ++l) {
        const auto& s = dit.attention_state(l);
        EXPECT_TRUE(s.mix_score.grad().defined() && s.mix_score.grad().abs().item<float>() > 0) << "r of layer " << l;
        EXPECT_GT(s.w_q.grad().abs().sum().item<float>(), 0.f) << "W_q of layer " << l;
        EXPECT_GT(s.w_k.grad().abs().sum().item<float>(), 0.f) << "W_k of layer " << l;
      }
    }
    opt.step();
    last = loss.item<double>();
  }
  EXPECT_LT(last, 0.9 * first);
}
