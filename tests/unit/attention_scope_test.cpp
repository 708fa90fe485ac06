// The one attention-state scope (core/model/attention_scope, issue 19): every way out of it puts
// modes, maps, r and capture hooks back exactly, whatever the code inside did to them.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <vector>

#include "core/error.h"
#include "core/model/attention_scope.h"
#include "core/model/dit_config.h"
#include "core/model/wan_dit.h"

using namespace linvideo;
using model::AttentionMode;
using model::AttentionStateScope;

namespace {

struct Fixture {
  std::unique_ptr<model::WanDiT> dit;
  std::vector<std::array<at::Tensor, 3>> hook;
  // The state set up below, copied independently: what every restore must give back.
  std::vector<AttentionMode> modes;
  std::vector<at::Tensor> w_q, w_k, r;

  Fixture() {
    model::DitConfig c;
    c.dim = 32, c.ffn_dim = 64, c.num_heads = 2, c.num_layers = 3, c.text_dim = 16, c.text_len = 8;
    dit = model::WanDiT::random(c, {}, 4);
    at::manual_seed(9);
    // Layer 0: softmax without maps; layer 1: mixed with maps and r = 0.3; layer 2: linear, a hook.
    auto& l1 = dit->attention_state(1);
    l1.init_linear_branch(2, 16, at::kCPU);
    l1.w_q.normal_();
    l1.w_k.normal_();
    l1.mix_score.fill_(0.3);
    l1.mode = AttentionMode::Mixed;
    auto& l2 = dit->attention_state(2);
    l2.init_linear_branch(2, 16, at::kCPU);
    l2.w_k.uniform_();
    l2.mode = AttentionMode::Linear;
    l2.capture = &hook;
    for (std::int64_t l = 0; l < 3; ++l) {
      const auto& s = dit->attention_state(l);
      modes.push_back(s.mode);
      w_q.push_back(s.w_q.defined() ? s.w_q.clone() : at::Tensor());
      w_k.push_back(s.w_k.defined() ? s.w_k.clone() : at::Tensor());
      r.push_back(s.mix_score.defined() ? s.mix_score.clone() : at::Tensor());
    }
  }

  // Everything the scope may touch: modes, maps (new tensors and in-place writes), r, hooks.
  void scramble() {
    for (std::int64_t l = 0; l < 3; ++l) dit->attention_state(l).mode = AttentionMode::Softmax;
    dit->attention_state(0).init_linear_branch(2, 16, at::kCPU);
    dit->attention_state(1).w_q.mul_(-3);          // in place
    dit->attention_state(1).w_k = at::zeros({2, 16, 16});
    dit->attention_state(1).mix_score.fill_(0.9);  // in place
    dit->attention_state(2).w_k.add_(1);
    dit->attention_state(2).capture = nullptr;
  }

  void expect_original() const {
    for (std::int64_t l = 0; l < 3; ++l) {
      SCOPED_TRACE("layer " + std::to_string(l));
      const auto& s = dit->attention_state(l);
      const std::size_t i = static_cast<std::size_t>(l);
      EXPECT_EQ(s.mode, modes[i]);
      EXPECT_EQ(s.w_q.defined(), w_q[i].defined());
      EXPECT_EQ(s.mix_score.defined(), r[i].defined());
      if (w_q[i].defined()) EXPECT_TRUE(at::equal(s.w_q, w_q[i]));
      if (w_k[i].defined()) EXPECT_TRUE(at::equal(s.w_k, w_k[i]));
      if (r[i].defined()) EXPECT_TRUE(at::equal(s.mix_score, r[i]));
    }
    EXPECT_EQ(dit->attention_state(2).capture, &hook);
    EXPECT_EQ(dit->attention_state(0).capture, nullptr);
  }
};

}  // namespace

TEST(AttentionStateScope, RestoresModesMapsScoresAndHooksBitForBit) {
  Fixture f;
  {
    const AttentionStateScope scope(*f.dit);
    f.scramble();
    EXPECT_EQ(f.dit->attention_state(1).mode, AttentionMode::Softmax);
  }
  f.expect_original();
}

TEST(AttentionStateScope, RestoresWhenTheCodeInsideThrows) {
  Fixture f;
  try {
    const AttentionStateScope scope(*f.dit);
    f.scramble();
    throw std::runtime_error("cancelled mid-step");
  } catch (const std::runtime_error&) {
  }
  f.expect_original();
}

TEST(AttentionStateScope, RestoreTwiceIsExactAndKeepLeavesTheNewState) {
  Fixture f;
  {
    AttentionStateScope scope(*f.dit);
    f.scramble();
    scope.restore();
    f.expect_original();
    f.scramble();  // writes in place into the restored tensors: the saved copy must not change
  }
  f.expect_original();
  {
    AttentionStateScope scope(*f.dit);
    f.scramble();
    EXPECT_EQ(scope.saved(1).mode, AttentionMode::Mixed);
    EXPECT_TRUE(at::equal(scope.saved(1).w_q, f.w_q[1]));
    scope.keep();
  }
  EXPECT_EQ(f.dit->attention_state(1).mode, AttentionMode::Softmax);
  EXPECT_TRUE(at::equal(f.dit->attention_state(1).w_q, f.w_q[1] * -3));
  EXPECT_THROW((void)AttentionStateScope(*f.dit).saved(3), Error);
}

// Modes depth (the teacher's softmax pass at every step): modes and hooks come back, the maps are
// left as the code inside made them.
TEST(AttentionStateScope, ModesDepthRestoresModesAndHooksOnly) {
  Fixture f;
  {
    const AttentionStateScope scope(*f.dit, AttentionStateScope::Depth::Modes);
    f.scramble();
  }
  EXPECT_EQ(f.dit->attention_state(1).mode, AttentionMode::Mixed);
  EXPECT_EQ(f.dit->attention_state(2).mode, AttentionMode::Linear);
  EXPECT_EQ(f.dit->attention_state(2).capture, &f.hook);
  EXPECT_TRUE(at::equal(f.dit->attention_state(1).w_q, f.w_q[1] * -3));
  EXPECT_TRUE(f.dit->attention_state(0).has_linear_branch());
}
