#include "core/model/attention.h"

#include <ATen/ATen.h>
#include <torch/version.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>

#include "core/error.h"
#include "core/model/autocast.h"
#ifdef LINVIDEO_WITH_CUDA
#include "kernels/fused_linear_attention.h"
#endif

namespace linvideo::model {

const char* attention_mode_name(AttentionMode mode) {
  switch (mode) {
    case AttentionMode::Softmax: return "softmax";
    case AttentionMode::Linear: return "linear";
    case AttentionMode::Mixed: return "mixed";
  }
  return "?";
}

// at::Context's per-backend SDPA switches (cuDNN's included) exist from LibTorch 2.3.
#define LINVIDEO_SDPA_SWITCHES (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3))

#if LINVIDEO_SDPA_SWITCHES
namespace {
// LINVIDEO_SDPA=flash|efficient|cudnn|math keeps only that SDPA backend (LibTorch's order is
// flash, efficient, cuDNN, math: cuDNN's kernels, often the fastest on Hopper, are otherwise never
// picked). Read once per process; unset or "auto" leaves LibTorch's choice.
void apply_sdpa_backend_from_env() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("LINVIDEO_SDPA");
    if (!env || !*env || std::strcmp(env, "auto") == 0) return;
    const std::string b = env;
    if (b != "flash" && b != "efficient" && b != "cudnn" && b != "math") {
      std::fprintf(stderr, "linvideo: LINVIDEO_SDPA must be auto, flash, efficient, cudnn or math (got '%s'); ignored\n", env);
      return;
    }
    auto& ctx = at::globalContext();
    ctx.setSDPUseFlash(b == "flash");
    ctx.setSDPUseMemEfficient(b == "efficient");
    ctx.setSDPUseCuDNN(b == "cudnn");
    ctx.setSDPUseMath(b == "math");
    std::fprintf(stderr, "linvideo: softmax attention on the %s SDPA backend only (LINVIDEO_SDPA)\n", env);
  });
}
}  // namespace
#endif

at::Tensor softmax_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             std::int64_t max_score_bytes) {
#if TORCH_VERSION_MAJOR >= 2
  (void)max_score_bytes;
#if LINVIDEO_SDPA_SWITCHES
  apply_sdpa_backend_from_env();
#endif
  return at::scaled_dot_product_attention(q, k, v);
#else
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  const std::int64_t lq = q.size(2), lk = k.size(2);
  const std::int64_t rows = q.size(0) * q.size(1);
  // Scores are kept in float32 for stability; chunk the queries so one chunk's scores fit.
  const std::int64_t bytes_per_query = std::max<std::int64_t>(1, rows * lk * 4);
  const std::int64_t chunk = std::max<std::int64_t>(1, std::min(lq, max_score_bytes / bytes_per_query));
  const at::Tensor kt = k.transpose(-2, -1);
  auto block = [&](const at::Tensor& qc) {
    at::Tensor scores = at::matmul(qc, kt).to(at::kFloat).mul_(scale);
    at::Tensor probs = at::softmax(scores, -1).to(v.scalar_type());
    return at::matmul(probs, v);
  };
  if (chunk >= lq) return block(q);
  at::Tensor out = at::empty_like(q);
  for (std::int64_t s = 0; s < lq; s += chunk) {
    const std::int64_t e = std::min(lq, s + chunk);
    out.narrow(2, s, e - s).copy_(block(q.narrow(2, s, e - s)));
  }
  return out;
#endif
}

at::Tensor hedgehog_features(const at::Tensor& x, const at::Tensor& w) {
  const AutocastScope fp32(x.device().type(), false);
  // x [B, H, L, D] @ w [H, D, D] -> [B, H, L, D]
  const at::Tensor proj = at::matmul(x.to(at::kFloat), w.unsqueeze(0));
  return at::cat({at::softmax(proj, -1), at::softmax(-proj, -1)}, -1);
}

at::Tensor linear_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& w_q, const at::Tensor& w_k) {
  // An fp32 island under autocast: the feature maps, state and normaliser must not be cast down.
  const AutocastScope fp32(q.device().type(), false);
  const at::Tensor phi_q = hedgehog_features(q, w_q);
  const at::Tensor phi_k = hedgehog_features(k, w_k);
  const at::Tensor vf = v.to(at::kFloat);
  const at::Tensor state = at::matmul(phi_k.transpose(-2, -1), vf);  // [B, H, 2D, D]
  const at::Tensor norm = phi_k.sum(2, /*keepdim=*/false).unsqueeze(-1);  // [B, H, 2D, 1]
  const at::Tensor num = at::matmul(phi_q, state);                        // [B, H, L, D]
  const at::Tensor den = at::matmul(phi_q, norm).clamp_min(1e-12);        // [B, H, L, 1]
  return (num / den).to(v.scalar_type());
}

void AttentionLayerState::init_linear_branch(std::int64_t heads, std::int64_t head_dim,
                                             const at::Device& device, double scale) {
  if (scale <= 0.0) scale = 1.0 / std::pow(static_cast<double>(head_dim), 0.25);
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(device);
  const at::Tensor eye = at::eye(head_dim, opts).mul(scale).unsqueeze(0).repeat({heads, 1, 1});
  w_q = eye.clone();
  w_k = eye.clone();
  mix_score = at::ones({}, opts);
}

namespace {

AttentionBackend backend_from_environment() {
  const char* v = std::getenv("LINVIDEO_ATTENTION");
  if (v && std::strcmp(v, "reference") == 0) return AttentionBackend::Reference;
  if (v && *v && std::strcmp(v, "auto") != 0)
    std::fprintf(stderr, "linvideo: LINVIDEO_ATTENTION=%s is not 'reference' or 'auto'; using auto\n", v);
  return AttentionBackend::Auto;
}

std::atomic<AttentionBackend>& backend_setting() {
  static std::atomic<AttentionBackend> backend{backend_from_environment()};
  return backend;
}

#ifdef LINVIDEO_WITH_CUDA
// Says once per distinct reason that CUDA linear attention runs on the reference.
void note_fallback(const std::string& why) {
  static std::mutex mutex;
  static std::set<std::string> said;
  const std::lock_guard<std::mutex> lock(mutex);
  if (!said.insert(why).second) return;
  std::fprintf(stderr, "linvideo: linear attention on CUDA uses the ATen reference: %s\n", why.c_str());
}
#endif

}  // namespace

AttentionBackend attention_backend() { return backend_setting().load(); }
void set_attention_backend(AttentionBackend backend) { backend_setting().store(backend); }

std::string fused_attention_unavailable(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                        const at::Tensor& w_q, const at::Tensor& w_k) {
  if (!q.is_cuda()) return "a CPU tensor";
  if (attention_backend() == AttentionBackend::Reference) return "LINVIDEO_ATTENTION=reference";
#ifdef LINVIDEO_WITH_CUDA
  return kernels::fused_linear_attention_unsupported(q, k, v, w_q, w_k);
#else
  (void)k, (void)v, (void)w_q, (void)w_k;
  return "built without CUDA kernels";
#endif
}

#ifdef LINVIDEO_WITH_CUDA
namespace {
// True when the fused kernels take these inputs; logs the reason once when a CUDA tensor cannot.
bool use_fused(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const AttentionLayerState& layer) {
  if (!q.is_cuda()) return false;
  const std::string why = fused_attention_unavailable(q, k, v, layer.w_q, layer.w_k);
  if (why.empty()) return true;
  note_fallback(why);
  return false;
}

// Under bf16 autocast with float32 weights, q and k leave the float32 norms and RoPE while v leaves
// a bf16 projection. Such a mix meets the kernels in bf16, as a bf16 model's attention does (the
// harness's bf16 tolerances apply); other mixes are left to the checks.
struct SameDtype {
  at::Tensor q, k, v;
};
SameDtype same_dtype(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const auto t = q.scalar_type();
  if (k.scalar_type() == t && v.scalar_type() == t) return {q, k, v};
  for (const at::Tensor* x : {&q, &k, &v})
    if (x->scalar_type() != at::kBFloat16 && x->scalar_type() != at::kFloat) return {q, k, v};
  return {q.to(at::kBFloat16), k.to(at::kBFloat16), v.to(at::kBFloat16)};
}
}  // namespace
#endif

at::Tensor attend(const AttentionLayerState& layer, const at::Tensor& q, const at::Tensor& k,
                  const at::Tensor& v) {
  if (layer.capture) layer.capture->push_back({q.detach(), k.detach(), v.detach()});
  switch (layer.mode) {
    case AttentionMode::Softmax: return softmax_attention(q, k, v);
    case AttentionMode::Linear:
      if (!layer.has_linear_branch()) throw Error("attention layer set to linear without feature maps");
#ifdef LINVIDEO_WITH_CUDA
      if (const SameDtype s = same_dtype(q, k, v); use_fused(s.q, s.k, s.v, layer))
        return kernels::fused_linear_attention(s.q, s.k, s.v, layer.w_q, layer.w_k).to(v.scalar_type());
#endif
      return linear_attention(q, k, v, layer.w_q, layer.w_k);
    case AttentionMode::Mixed: {
      if (!layer.has_linear_branch()) throw Error("attention layer set to mixed without feature maps");
#ifdef LINVIDEO_WITH_CUDA
      if (const SameDtype s = same_dtype(q, k, v); use_fused(s.q, s.k, s.v, layer)) {
        // The blend happens in the linear kernel's store: no full-size float32 intermediates.
        const at::Tensor soft = softmax_attention(q, k, v);
        return kernels::fused_mixed_attention(s.q, s.k, s.v, layer.w_q, layer.w_k, soft, layer.mix_score)
            .to(v.scalar_type());
      }
#endif
      const at::Tensor r = layer.mix_score.to(at::kFloat);
      const at::Tensor soft = softmax_attention(q, k, v).to(at::kFloat);
      const at::Tensor lin = linear_attention(q, k, v, layer.w_q, layer.w_k).to(at::kFloat);
      return (r * soft + (1 - r) * lin).to(v.scalar_type());
    }
  }
  return softmax_attention(q, k, v);
}

}  // namespace linvideo::model
