#include "kernels/fused_linear_attention.h"

#include <ATen/ATen.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/csrc/autograd/custom_function.h>

#include <stdexcept>

#include "kernels/linear_attention.h"

namespace linvideo::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

DType dtype_of(const at::Tensor& t) { return t.scalar_type() == at::kBFloat16 ? DType::BF16 : DType::F32; }

bool aligned(const at::Tensor& t) {
  return t.stride(-1) == 1 && rows_aligned(t.data_ptr(), t.stride(0), t.stride(1), t.stride(2), dtype_of(t));
}
// The tensor itself when the kernels can read it in place, else a contiguous copy.
at::Tensor readable(const at::Tensor& t) { return aligned(t) ? t : t.contiguous(); }

Rows rows(const at::Tensor& t) {
  if (!t.defined()) return {};
  return {t.data_ptr(), t.stride(0), t.stride(1), t.stride(2)};
}
MutRows mut_rows(const at::Tensor& t) { return {t.data_ptr(), t.stride(0), t.stride(1), t.stride(2)}; }

// An output with x's shape and layout (contiguous when that layout could not be read in 16 bytes).
at::Tensor output_like(const at::Tensor& x, at::ScalarType dtype) {
  at::Tensor o = at::empty_like(x, x.options().dtype(dtype));
  return aligned(o) ? o : at::empty(x.sizes(), x.options().dtype(dtype));
}

LinAttnDims dims_of(const at::Tensor& q, const at::Tensor& k) {
  LinAttnDims d;
  d.B = static_cast<int>(q.size(0));
  d.H = static_cast<int>(q.size(1));
  d.Lq = static_cast<int>(q.size(2));
  d.Lk = static_cast<int>(k.size(2));
  d.D = static_cast<int>(q.size(3));
  d.dtype = dtype_of(q);
  return d;
}

void check(const std::string& error) {
  if (!error.empty()) throw std::runtime_error(error);
}

cudaStream_t stream_of(const at::Tensor& t) { return c10::cuda::getCurrentCUDAStream(t.device().index()).stream(); }

struct ForwardOut {
  at::Tensor o, S, z;
};

ForwardOut run_forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& w_q,
                       const at::Tensor& w_k, const at::Tensor& soft, const at::Tensor& r) {
  const c10::cuda::CUDAGuard guard(q.device());
  const LinAttnDims d = dims_of(q, k);
  const LinAttnPlan plan = make_plan(d);
  const auto f32 = q.options().dtype(at::kFloat);
  ForwardOut out;
  out.o = output_like(q, v.scalar_type());
  const int P = padded_head_dim(d.D);
  out.S = at::empty({d.B, d.H, 2 * P, P}, f32);
  out.z = at::empty({d.B, d.H, 2 * P}, f32);
  at::Tensor ws = at::empty({static_cast<std::int64_t>(plan.forward_workspace)}, f32);
  check(launch_linear_attention_forward(d, plan, rows(q), rows(k), rows(v), w_q.data_ptr<float>(),
                                        w_k.data_ptr<float>(), rows(soft), r.defined() ? r.data_ptr<float>() : nullptr,
                                        mut_rows(out.o), out.S.data_ptr<float>(), out.z.data_ptr<float>(),
                                        ws.data_ptr<float>(), stream_of(q)));
  return out;
}

struct BackwardOut {
  at::Tensor dq, dk, dv, dw_q, dw_k, dr;
};

BackwardOut run_backward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& w_q,
                         const at::Tensor& w_k, const at::Tensor& soft, const at::Tensor& r, const at::Tensor& dout_in,
                         const at::Tensor& S, const at::Tensor& z) {
  const c10::cuda::CUDAGuard guard(q.device());
  const at::Tensor dout = readable(dout_in.to(q.scalar_type()));
  const LinAttnDims d = dims_of(q, k);
  const LinAttnPlan plan = make_plan(d);
  const auto f32 = q.options().dtype(at::kFloat);
  BackwardOut g;
  g.dq = output_like(q, q.scalar_type());
  g.dk = output_like(k, k.scalar_type());
  g.dv = output_like(v, v.scalar_type());
  const int P = padded_head_dim(d.D);
  g.dw_q = at::empty({d.H, P, P}, f32);
  g.dw_k = at::empty({d.H, P, P}, f32);
  if (soft.defined()) g.dr = at::zeros({}, f32);
  at::Tensor ws = at::empty({static_cast<std::int64_t>(plan.backward_workspace)}, f32);
  check(launch_linear_attention_backward(
      d, plan, rows(q), rows(k), rows(v), w_q.data_ptr<float>(), w_k.data_ptr<float>(), rows(soft),
      r.defined() ? r.data_ptr<float>() : nullptr, rows(dout), S.data_ptr<float>(), z.data_ptr<float>(),
      mut_rows(g.dq), mut_rows(g.dk), mut_rows(g.dv), g.dw_q.data_ptr<float>(), g.dw_k.data_ptr<float>(),
      soft.defined() ? g.dr.data_ptr<float>() : nullptr, ws.data_ptr<float>(), stream_of(q)));
  if (P != d.D) {  // the kernels' padded layout -> the feature maps' [H, D, D]
    g.dw_q = g.dw_q.narrow(1, 0, d.D).narrow(2, 0, d.D).contiguous();
    g.dw_k = g.dw_k.narrow(1, 0, d.D).narrow(2, 0, d.D).contiguous();
  }
  return g;
}

struct LinearFn : public torch::autograd::Function<LinearFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& w_q, const at::Tensor& w_k) {
    ForwardOut f = run_forward(q, k, v, w_q, w_k, {}, {});
    ctx->save_for_backward({q, k, v, w_q, w_k});
    ctx->saved_data["S"] = f.S;
    ctx->saved_data["z"] = f.z;
    return f.o;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto s = ctx->get_saved_variables();
    if (!grads[0].defined()) return {at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    BackwardOut g = run_backward(s[0], s[1], s[2], s[3], s[4], {}, {}, grads[0], ctx->saved_data["S"].toTensor(),
                                 ctx->saved_data["z"].toTensor());
    return {g.dq, g.dk, g.dv, g.dw_q, g.dw_k};
  }
};

struct MixedFn : public torch::autograd::Function<MixedFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& w_q, const at::Tensor& w_k, const at::Tensor& soft, const at::Tensor& r) {
    ForwardOut f = run_forward(q, k, v, w_q, w_k, soft, r);
    ctx->save_for_backward({q, k, v, w_q, w_k, soft, r});
    ctx->saved_data["S"] = f.S;
    ctx->saved_data["z"] = f.z;
    return f.o;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto s = ctx->get_saved_variables();
    if (!grads[0].defined()) return variable_list(7);
    BackwardOut g = run_backward(s[0], s[1], s[2], s[3], s[4], s[5], s[6], grads[0], ctx->saved_data["S"].toTensor(),
                                 ctx->saved_data["z"].toTensor());
    at::Tensor dsoft = grads[0].mul(s[6]).to(s[5].scalar_type());  // d out / d soft = r
    return {g.dq, g.dk, g.dv, g.dw_q, g.dw_k, dsoft, g.dr};
  }
};

at::Tensor feature_map(const at::Tensor& w) { return w.to(at::kFloat).contiguous(); }

}  // namespace

std::string fused_linear_attention_unsupported(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                               const at::Tensor& w_q, const at::Tensor& w_k) {
  if (!q.is_cuda() || !k.is_cuda() || !v.is_cuda()) return "a CPU tensor";
  if (!w_q.is_cuda() || !w_k.is_cuda()) return "feature maps on the CPU";
  const auto dev = q.device();
  if (k.device() != dev || v.device() != dev || w_q.device() != dev || w_k.device() != dev)
    return "tensors on different devices";
  const auto t = q.scalar_type();
  if (t != at::kBFloat16 && t != at::kFloat) return std::string("dtype ") + c10::toString(t) + " (bf16 or float32 only)";
  if (k.scalar_type() != t || v.scalar_type() != t) return "q, k and v of different dtypes";
  if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4) return "q, k, v not [B, heads, L, head_dim]";
  if (k.size(0) != q.size(0) || k.size(1) != q.size(1) || k.size(3) != q.size(3) || v.sizes() != k.sizes())
    return "q, k, v shapes that do not match";
  if (q.numel() == 0 || k.numel() == 0) return "an empty tensor";
  const auto H = q.size(1), D = q.size(3);
  if (w_q.dim() != 3 || w_q.size(0) != H || w_q.size(1) != D || w_q.size(2) != D || w_k.sizes() != w_q.sizes())
    return "feature maps not [heads, head_dim, head_dim]";
  if (q.size(2) > (1ll << 30) || k.size(2) > (1ll << 30)) return "a sequence over 2^30 tokens";
  const c10::cuda::CUDAGuard guard(dev);
  return linear_attention_unsupported(dims_of(q, k));
}

at::Tensor fused_linear_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const at::Tensor& w_q, const at::Tensor& w_k) {
  return LinearFn::apply(readable(q), readable(k), readable(v), feature_map(w_q), feature_map(w_k));
}

at::Tensor fused_mixed_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                 const at::Tensor& w_q, const at::Tensor& w_k, const at::Tensor& soft,
                                 const at::Tensor& r) {
  if (soft.sizes() != q.sizes()) throw std::runtime_error("mixed attention: the softmax branch's shape differs from q's");
  const at::Tensor rr = r.to(q.device(), at::kFloat).reshape({});
  return MixedFn::apply(readable(q), readable(k), readable(v), feature_map(w_q), feature_map(w_k),
                        readable(soft.to(v.scalar_type())), rr);
}

double peak_bandwidth_gbs() { return device_peak_bandwidth_gbs(); }
void synchronize() { device_synchronize(); }

}  // namespace linvideo::kernels
