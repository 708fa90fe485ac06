// The kernel test harness (issue 16), in the spirit of ggml's test-backend-ops: every fused kernel
// against the plain-ATen reference (core/model/attention's linear_attention, run in float32 on the
// same device), forward and gradients, over tokens x head dims x batch x dtype, in the DiT's
// strided [B, L, H, D] -> [B, H, L, D] layout. CUDA cases skip cleanly without CUDA.
//
// Tolerances, as max |kernel - reference| / max |reference| per tensor:
//   bf16 inputs (bf16 tensor cores, bf16 output):   output 2e-2, gradients 4e-2
//   float32 inputs (TF32 tensor cores):             output 4e-3, gradients 8e-3
// and the same ratio over the root mean square must be under a quarter of those. v carries a large
// per-head offset on purpose: the gradients of q and k subtract two large, nearly equal terms
// unless the kernels centre the state (they do), and this is where that shows.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <tuple>
#include <utility>

#include "core/model/attention.h"
#ifdef LINVIDEO_WITH_CUDA
#include "kernels/fused_linear_attention.h"
#endif

using namespace linvideo::model;
#ifdef LINVIDEO_WITH_CUDA
namespace kernels = linvideo::kernels;
#endif

namespace {

struct Err {
  double max_rel = 0, rms_rel = 0;
};
// Error of a against the reference b, both relative to b's scale.
Err error_of(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor d = (a.to(at::kDouble) - b.to(at::kDouble)).abs();
  const at::Tensor bd = b.to(at::kDouble);
  Err e;
  e.max_rel = d.max().item<double>() / std::max(bd.abs().max().item<double>(), 1e-30);
  e.rms_rel = d.pow(2).mean().sqrt().item<double>() / std::max(bd.pow(2).mean().sqrt().item<double>(), 1e-30);
  return e;
}

void expect_close(const at::Tensor& a, const at::Tensor& b, double tol, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  ASSERT_TRUE(at::isfinite(a).all().item<bool>()) << what << ": non-finite values";
  const Err e = error_of(a, b);
  EXPECT_LT(e.max_rel, tol) << what << ": max error " << e.max_rel << " of the reference's max";
  EXPECT_LT(e.rms_rel, tol / 4) << what << ": rms error " << e.rms_rel << " of the reference's rms";
}

struct Inputs {
  at::Tensor q, k, v, w_q, w_k;
};

// q, k, v laid out as the DiT makes them ([B, L, H, D] transposed to [B, H, L, D]); v carries a
// per-(batch, head) offset so that mixing heads or batches up shows. W is the identity init plus a
// trained-looking perturbation.
Inputs make_inputs(int64_t B, int64_t H, int64_t L, int64_t D, at::ScalarType dtype, const at::Device& device,
                   uint64_t seed) {
  at::manual_seed(seed);
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  Inputs in;
  in.q = at::randn({B, L, H, D}, f32).to(dtype).transpose(1, 2);
  in.k = at::randn({B, L, H, D}, f32).to(dtype).transpose(1, 2);
  const at::Tensor offset = at::randn({B, 1, H, 1}, f32);
  in.v = (at::randn({B, L, H, D}, f32) + offset).to(dtype).transpose(1, 2);
  const double scale = 1.0 / std::pow(static_cast<double>(D), 0.25);
  const at::Tensor eye = at::eye(D, f32).mul(scale).unsqueeze(0).repeat({H, 1, 1});
  in.w_q = eye + 0.15 * at::randn({H, D, D}, f32);
  in.w_k = eye + 0.15 * at::randn({H, D, D}, f32);
  return in;
}

struct Grads {
  at::Tensor out, dq, dk, dv, dw_q, dw_k;
};

template <class F>
Grads run_with_grads(const Inputs& in, const at::Tensor& dout, F&& f, at::ScalarType as) {
  const at::Tensor q = in.q.to(as).detach().requires_grad_(), k = in.k.to(as).detach().requires_grad_(),
                   v = in.v.to(as).detach().requires_grad_();
  const at::Tensor wq = in.w_q.detach().clone().requires_grad_(), wk = in.w_k.detach().clone().requires_grad_();
  Grads g;
  g.out = f(q, k, v, wq, wk);
  g.out.backward(dout.to(g.out.scalar_type()));
  g.dq = q.grad(), g.dk = k.grad(), g.dv = v.grad(), g.dw_q = wq.grad(), g.dw_k = wk.grad();
  return g;
}

// Output and the five gradients within the dtype's tolerance (the file's header).
void expect_all_close(const Grads& got, const Grads& ref, bool is_bf16, const std::string& tag) {
  const double tol_out = is_bf16 ? 2e-2 : 4e-3, tol_grad = is_bf16 ? 4e-2 : 8e-3;
  expect_close(got.out, ref.out, tol_out, "output" + tag);
  expect_close(got.dq, ref.dq, tol_grad, "dq" + tag);
  expect_close(got.dk, ref.dk, tol_grad, "dk" + tag);
  expect_close(got.dv, ref.dv, tol_grad, "dv" + tag);
  expect_close(got.dw_q, ref.dw_q, tol_grad, "dW_q" + tag);
  expect_close(got.dw_k, ref.dw_k, tol_grad, "dW_k" + tag);
}

#ifdef LINVIDEO_WITH_CUDA
// The fused kernels against the float32 reference on the same (rounded) inputs, forward and gradients.
void check_against_reference(int64_t B, int64_t H, int64_t L, int64_t D, bool is_bf16, uint64_t seed,
                             const std::string& tag) {
  const auto dtype = is_bf16 ? at::kBFloat16 : at::kFloat;
  const Inputs in = make_inputs(B, H, L, D, dtype, at::kCUDA, seed);
  ASSERT_EQ(kernels::fused_linear_attention_unsupported(in.q, in.k, in.v, in.w_q, in.w_k), "") << tag;
  const at::Tensor dout = at::randn({B, H, L, D}, at::TensorOptions().device(at::kCUDA));
  auto reference = [](auto& q, auto& k, auto& v, auto& wq, auto& wk) { return linear_attention(q, k, v, wq, wk); };
  const Grads ref = run_with_grads(in, dout, reference, at::kFloat);
  const Grads got = run_with_grads(
      in, dout,
      [](auto& q, auto& k, auto& v, auto& wq, auto& wk) { return kernels::fused_linear_attention(q, k, v, wq, wk); },
      dtype);
  EXPECT_EQ(got.out.scalar_type(), dtype) << tag;
  EXPECT_EQ(got.dq.scalar_type(), dtype) << tag;
  if (L > 1) return expect_all_close(got, ref, is_bf16, tag);
  // One token: out = v whatever q and k are, so dq, dk, dW_q and dW_k are zero in exact arithmetic and
  // relative errors against the reference's rounding noise mean nothing. They must be rounding noise:
  // at most the tolerance times the scale dv = dout gives them, times v's scale.
  const double tol_grad = is_bf16 ? 4e-2 : 8e-3;
  expect_close(got.out, ref.out, is_bf16 ? 2e-2 : 4e-3, "output (one token)" + tag);
  expect_close(got.dv, ref.dv, tol_grad, "dv (one token)" + tag);
  const double scale = ref.dv.abs().max().item<double>() * in.v.abs().max().item<double>();
  for (const auto& [name, g] : {std::pair<const char*, at::Tensor>{"dq", got.dq}, {"dk", got.dk}, {"dW_q", got.dw_q}, {"dW_k", got.dw_k}}) {
    const double m = g.abs().max().item<double>();
    EXPECT_LT(m, tol_grad * scale) << name << " (one token)" << tag << ": " << m << " where it should be about zero (scale " << scale << ")";
  }
}
#endif

// Sets an environment variable for a scope (the kernels read their switches when they plan a call).
struct ScopedEnv {
  const char* name;
  ScopedEnv(const char* n, const char* value) : name(n) { ::setenv(n, value, 1); }
  ~ScopedEnv() { ::unsetenv(name); }
};

bool cuda_kernels_built() {
#ifdef LINVIDEO_WITH_CUDA
  return true;
#else
  return false;
#endif
}

// ---- dispatch (runs everywhere) -------------------------------------------------------------------
TEST(AttentionDispatch, CpuTensorsTakeTheReference) {
  const Inputs in = make_inputs(1, 2, 9, 64, at::kFloat, at::kCPU, 1);
  EXPECT_EQ(fused_attention_unavailable(in.q, in.k, in.v, in.w_q, in.w_k), "a CPU tensor");
  AttentionLayerState layer;
  layer.mode = AttentionMode::Linear;
  layer.w_q = in.w_q, layer.w_k = in.w_k;
  EXPECT_TRUE(at::equal(attend(layer, in.q, in.k, in.v), linear_attention(in.q, in.k, in.v, in.w_q, in.w_k)));
}

TEST(AttentionDispatch, BackendSettingRoundTrips) {
  const AttentionBackend before = attention_backend();
  set_attention_backend(AttentionBackend::Reference);
  EXPECT_EQ(attention_backend(), AttentionBackend::Reference);
  set_attention_backend(AttentionBackend::Auto);
  EXPECT_EQ(attention_backend(), AttentionBackend::Auto);
  set_attention_backend(before);
}

// ---- the kernels against the reference -----------------------------------------------------------
using Case = std::tuple<int64_t /*tokens*/, int64_t /*head dim*/, int64_t /*batch*/, bool /*bf16*/>;

class LinearAttentionKernel : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (!cuda_kernels_built()) GTEST_SKIP() << "built without CUDA kernels";
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  }
};

TEST_P(LinearAttentionKernel, ForwardAndGradientsMatchTheReference) {
#ifdef LINVIDEO_WITH_CUDA
  const auto [L, D, B, is_bf16] = GetParam();
  check_against_reference(B, /*H=*/2, L, D, is_bf16, 1000 + L + D + B, "");
#endif
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const auto [L, D, B, is_bf16] = info.param;
  return "L" + std::to_string(L) + "_D" + std::to_string(D) + "_B" + std::to_string(B) + (is_bf16 ? "_bf16" : "_f32");
}

INSTANTIATE_TEST_SUITE_P(Shapes, LinearAttentionKernel,
                         ::testing::Combine(::testing::Values<int64_t>(1, 17, 320, 4095, 32760),
                                            ::testing::Values<int64_t>(64, 128), ::testing::Values<int64_t>(1, 2),
                                            ::testing::Bool()),
                         case_name);

class FusedAttentionCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda_kernels_built()) GTEST_SKIP() << "built without CUDA kernels";
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  }
};

TEST_F(FusedAttentionCuda, MixedModeMatchesTheReferenceBlendWithGradients) {
#ifdef LINVIDEO_WITH_CUDA
  for (const bool is_bf16 : {true, false}) {
    const auto dtype = is_bf16 ? at::kBFloat16 : at::kFloat;
    const Inputs in = make_inputs(1, 3, 700, 128, dtype, at::kCUDA, 7);
    const at::Tensor dout = at::randn({1, 3, 700, 128}, at::TensorOptions().device(at::kCUDA));
    auto run = [&](bool fused, at::ScalarType as, at::Tensor* dr) {
      const at::Tensor r = at::full({}, 0.35, at::TensorOptions().device(at::kCUDA)).requires_grad_();
      Grads g = run_with_grads(
          in, dout,
          [&](auto& q, auto& k, auto& v, auto& wq, auto& wk) {
            // The softmax branch in the tested dtype for both runs: d loss / d r sums dO (soft - o),
            // a small difference of two large terms, so bf16 SDPA against float32 SDPA alone would
            // move it by several percent. The reference still blends and backpropagates in float32.
            const at::Tensor soft = softmax_attention(q.to(dtype), k.to(dtype), v.to(dtype));
            if (fused) return kernels::fused_mixed_attention(q, k, v, wq, wk, soft, r);
            return (r * soft.to(at::kFloat) + (1 - r) * linear_attention(q, k, v, wq, wk).to(at::kFloat)).to(v.scalar_type());
          },
          as);
      *dr = r.grad();
      return g;
    };
    at::Tensor dr_ref, dr_got;
    const Grads ref = run(false, at::kFloat, &dr_ref);
    const Grads got = run(true, dtype, &dr_got);
    const std::string tag = is_bf16 ? " (mixed, bf16)" : " (mixed, f32)";
    expect_all_close(got, ref, is_bf16, tag);
    ASSERT_TRUE(dr_got.defined());
    EXPECT_NEAR(dr_got.item<double>(), dr_ref.item<double>(), (is_bf16 ? 3e-2 : 5e-3) * std::abs(dr_ref.item<double>()) + 1e-3)
        << "d loss / d r" << tag;
  }
#endif
}

TEST_F(FusedAttentionCuda, ResultsAreBitwiseDeterministic) {
#ifdef LINVIDEO_WITH_CUDA
  const Inputs in = make_inputs(2, 12, 4095, 128, at::kBFloat16, at::kCUDA, 3);
  const at::Tensor dout = at::randn({2, 12, 4095, 128}, at::TensorOptions().device(at::kCUDA));
  auto f = [](auto& q, auto& k, auto& v, auto& wq, auto& wk) { return kernels::fused_linear_attention(q, k, v, wq, wk); };
  const Grads a = run_with_grads(in, dout, f, at::kBFloat16);
  const Grads b = run_with_grads(in, dout, f, at::kBFloat16);
  EXPECT_TRUE(at::equal(a.out, b.out));
  EXPECT_TRUE(at::equal(a.dq, b.dq));
  EXPECT_TRUE(at::equal(a.dk, b.dk));
  EXPECT_TRUE(at::equal(a.dv, b.dv));
  EXPECT_TRUE(at::equal(a.dw_q, b.dw_q));
  EXPECT_TRUE(at::equal(a.dw_k, b.dw_k));
#endif
}

TEST_F(FusedAttentionCuda, AttendTakesTheKernelAndTheReferenceWhenAsked) {
#ifdef LINVIDEO_WITH_CUDA
  const Inputs in = make_inputs(1, 2, 333, 128, at::kBFloat16, at::kCUDA, 5);
  AttentionLayerState layer;
  layer.mode = AttentionMode::Linear;
  layer.w_q = in.w_q, layer.w_k = in.w_k;
  const at::Tensor fused = kernels::fused_linear_attention(in.q, in.k, in.v, in.w_q, in.w_k);
  const at::Tensor reference = linear_attention(in.q, in.k, in.v, in.w_q, in.w_k);
  ASSERT_FALSE(at::equal(fused, reference));  // else this test could not tell them apart
  EXPECT_EQ(fused_attention_unavailable(in.q, in.k, in.v, in.w_q, in.w_k), "");
  EXPECT_TRUE(at::equal(attend(layer, in.q, in.k, in.v), fused));
  const AttentionBackend before = attention_backend();
  set_attention_backend(AttentionBackend::Reference);
  EXPECT_EQ(fused_attention_unavailable(in.q, in.k, in.v, in.w_q, in.w_k), "LINVIDEO_ATTENTION=reference");
  EXPECT_TRUE(at::equal(attend(layer, in.q, in.k, in.v), reference));
  set_attention_backend(before);
  // A dtype the kernels do not take falls back to the reference, with the reason.
  const at::Tensor h = in.q.to(at::kHalf);
  EXPECT_NE(fused_attention_unavailable(h, in.k.to(at::kHalf), in.v.to(at::kHalf), in.w_q, in.w_k), "");
  EXPECT_TRUE(at::equal(attend(layer, h, in.k.to(at::kHalf), in.v.to(at::kHalf)),
                        linear_attention(h, in.k.to(at::kHalf), in.v.to(at::kHalf), in.w_q, in.w_k)));
  // The output keeps q's (strided) layout, so the DiT's transpose back is free.
  EXPECT_EQ(fused.strides(), in.q.strides());
  // Under bf16 autocast with float32 weights q and k arrive in float32 and v in bf16: the kernels
  // still take them (in bf16), not the reference.
  const at::Tensor mixed = attend(layer, in.q.to(at::kFloat), in.k.to(at::kFloat), in.v);
  EXPECT_EQ(mixed.scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::equal(mixed, fused));
#endif
}

TEST_F(FusedAttentionCuda, HeadDimsBelowTheTileArePaddedInside) {
#ifdef LINVIDEO_WITH_CUDA
  // The shapes model's 56 and two other widths, forward and gradients.
  for (const int64_t D : {56, 40, 96})
    for (const bool is_bf16 : {true, false})
      check_against_reference(2, 4, 320, D, is_bf16, 20 + D, " (D " + std::to_string(D) + (is_bf16 ? ", bf16)" : ", f32)"));
#endif
}

TEST_F(FusedAttentionCuda, CompactConfigurationMatchesTheReference) {
#ifdef LINVIDEO_WITH_CUDA
  // The configuration cards with less shared memory per block take (A100, RTX 4090), forced here.
  const ScopedEnv compact("LINVIDEO_KERNELS_COMPACT", "1");
  for (const int64_t D : {128, 56})
    for (const bool is_bf16 : {true, false})
      check_against_reference(2, 3, 1000, D, is_bf16, 40 + D,
                              " (compact, D " + std::to_string(D) + (is_bf16 ? ", bf16)" : ", f32)"));
#endif
}

TEST_F(FusedAttentionCuda, WmmaForwardMatchesTheReference) {
#ifdef LINVIDEO_WITH_CUDA
  // bf16 runs the forward on the mma.sync kernels; the WMMA ones stay for comparisons
  // (LINVIDEO_KERNELS_FORWARD=wmma) and must stay right.
  const ScopedEnv wmma("LINVIDEO_KERNELS_FORWARD", "wmma");
  for (const int64_t D : {128, 56})
    check_against_reference(1, 3, 777, D, /*is_bf16=*/true, 60 + D, " (wmma forward, D " + std::to_string(D) + ")");
#endif
}

TEST_F(FusedAttentionCuda, WmmaBackwardMatchesTheReference) {
#ifdef LINVIDEO_WITH_CUDA
  // bf16 runs the backward on the mma.sync kernels too; the WMMA ones stay for comparisons
  // (LINVIDEO_KERNELS_BACKWARD=wmma) and must stay right, in mixed mode as well.
  const ScopedEnv wmma("LINVIDEO_KERNELS_BACKWARD", "wmma");
  for (const int64_t D : {128, 56})
    check_against_reference(1, 3, 777, D, /*is_bf16=*/true, 70 + D, " (wmma backward, D " + std::to_string(D) + ")");
#endif
}

TEST_F(FusedAttentionCuda, TwelveWarpApplyMatchesTheReference) {
#ifdef LINVIDEO_WITH_CUDA
  // The 12-warp apply variant (feature map exponentials computed twice, LINVIDEO_KERNELS_APPLY_WARPS=12).
  const ScopedEnv twelve("LINVIDEO_KERNELS_APPLY_WARPS", "12");
  for (const int64_t D : {128, 56})
    check_against_reference(1, 3, 777, D, /*is_bf16=*/true, 80 + D, " (12-warp apply, D " + std::to_string(D) + ")");
#endif
}

TEST_F(FusedAttentionCuda, KeyLengthMayDifferFromQueryLength) {
#ifdef LINVIDEO_WITH_CUDA
  const Inputs a = make_inputs(1, 2, 100, 64, at::kBFloat16, at::kCUDA, 11);
  const Inputs b = make_inputs(1, 2, 517, 64, at::kBFloat16, at::kCUDA, 12);
  const at::Tensor got = kernels::fused_linear_attention(a.q, b.k, b.v, a.w_q, b.w_k);
  const at::Tensor ref = linear_attention(a.q.to(at::kFloat), b.k.to(at::kFloat), b.v.to(at::kFloat), a.w_q, b.w_k);
  expect_close(got, ref, 2e-2, "cross-length output");
#endif
}

}  // namespace
