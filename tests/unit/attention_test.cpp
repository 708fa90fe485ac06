#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/model/attention.h"
#include "tests/support/test_support.h"

using namespace linvideo::model;
using linvideo::test::relative_error;

namespace {
// Direct O(n^2) definitions, written independently of the engine's code paths.
at::Tensor naive_softmax(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const at::Tensor s = at::matmul(q.to(at::kDouble), k.to(at::kDouble).transpose(-2, -1)) /
                       std::sqrt(static_cast<double>(q.size(-1)));
  return at::matmul(at::softmax(s, -1), v.to(at::kDouble));
}
at::Tensor naive_linear(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                        const at::Tensor& wq, const at::Tensor& wk) {
  auto phi = [](const at::Tensor& x, const at::Tensor& w) {
    const at::Tensor p = at::matmul(x.to(at::kDouble), w.to(at::kDouble));
    return at::cat({at::softmax(p, -1), at::softmax(-p, -1)}, -1);
  };
  const at::Tensor a = at::matmul(phi(q, wq), phi(k, wk).transpose(-2, -1));  // [B,H,L,L] kernel
  return at::matmul(a / a.sum(-1, true), v.to(at::kDouble));
}
}  // namespace

TEST(Attention, ChunkedSoftmaxMatchesDirectDefinition) {
  at::manual_seed(0);
  const at::Tensor q = at::randn({2, 3, 37, 16}), k = at::randn({2, 3, 37, 16}), v = at::randn({2, 3, 37, 16});
  // A tiny score budget forces many chunks on LibTorch 1.x; on 2.x this is SDPA.
  EXPECT_LT(relative_error(softmax_attention(q, k, v, 2 * 3 * 37 * 4 * 5), naive_softmax(q, k, v)), 1e-5);
  EXPECT_LT(relative_error(softmax_attention(q, k, v), naive_softmax(q, k, v)), 1e-5);
  // Cross-attention shape: different key length.
  const at::Tensor k2 = at::randn({2, 3, 11, 16}), v2 = at::randn({2, 3, 11, 16});
  EXPECT_LT(relative_error(softmax_attention(q, k2, v2, 1000), naive_softmax(q, k2, v2)), 1e-5);
}

TEST(Attention, LinearAttentionMatchesQuadraticForm) {
  at::manual_seed(1);
  const at::Tensor q = at::randn({1, 2, 29, 8}), k = at::randn({1, 2, 29, 8}), v = at::randn({1, 2, 29, 8});
  const at::Tensor wq = at::randn({2, 8, 8}), wk = at::randn({2, 8, 8});
  EXPECT_LT(relative_error(linear_attention(q, k, v, wq, wk), naive_linear(q, k, v, wq, wk)), 1e-5);
  // bf16 inputs still accumulate in float32.
  const at::Tensor out16 = linear_attention(q.to(at::kBFloat16), k.to(at::kBFloat16), v.to(at::kBFloat16), wq, wk);
  EXPECT_EQ(out16.scalar_type(), at::kBFloat16);
  EXPECT_LT(relative_error(out16, naive_linear(q, k, v, wq, wk)), 3e-2);
}

TEST(Attention, ModesSwitchAndMixedIsDifferentiable) {
  at::manual_seed(2);
  const at::Tensor q = at::randn({1, 2, 10, 12}), k = at::randn({1, 2, 10, 12}), v = at::randn({1, 2, 10, 12});
  AttentionLayerState layer;
  EXPECT_THROW({ layer.mode = AttentionMode::Linear; attend(layer, q, k, v); }, std::exception);
  layer.init_linear_branch(2, 12, at::kCPU);
  const at::Tensor soft = naive_softmax(q, k, v);
  const at::Tensor lin = naive_linear(q, k, v, layer.w_q, layer.w_k);
  layer.mode = AttentionMode::Softmax;
  EXPECT_LT(relative_error(attend(layer, q, k, v), soft), 1e-5);
  layer.mode = AttentionMode::Linear;
  EXPECT_LT(relative_error(attend(layer, q, k, v), lin), 1e-5);
  layer.mode = AttentionMode::Mixed;
  layer.mix_score.fill_(0.25);
  EXPECT_LT(relative_error(attend(layer, q, k, v), 0.25 * soft + 0.75 * lin), 1e-5);

  layer.mix_score.requires_grad_(true);
  layer.w_q.requires_grad_(true);
  attend(layer, q, k, v).pow(2).sum().backward();
  ASSERT_TRUE(layer.mix_score.grad().defined());
  // d/dr sum(o^2) = sum(2 o (soft - lin))
  const at::Tensor o = 0.25 * soft + 0.75 * lin;
  const double expected = (2 * o * (soft - lin)).sum().item<double>();
  EXPECT_NEAR(layer.mix_score.grad().item<double>(), expected, 1e-3 * std::abs(expected) + 1e-4);
  EXPECT_GT(layer.w_q.grad().abs().sum().item<double>(), 0.0);
}
