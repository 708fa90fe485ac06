#include "core/bench/attention_benchmark.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.h"
#include "core/model/attention.h"
#ifdef LINVIDEO_WITH_CUDA
#include "kernels/fused_linear_attention.h"
#endif

namespace linvideo::bench {
namespace {

void wait_for(const at::Device& device) {
  if (!device.is_cuda()) return;
#ifdef LINVIDEO_WITH_CUDA
  kernels::synchronize();
#else
  at::zeros({1}, at::TensorOptions().device(device)).item<float>();
#endif
}

using Op = std::function<void()>;

// Median time of one call of `op`: each repeat runs it enough times back to back (at least ~2 ms
// of work) that launch overhead overlaps the device's work, then waits for the device.
TimingStats time_op(const Op& op, const at::Device& device, int warmup, int repeats, const std::string& label,
                    const std::function<void(const std::string&)>& say) {
  wait_for(device);
  auto start = std::chrono::steady_clock::now();
  op();
  wait_for(device);
  const double once = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const int inner = std::clamp(static_cast<int>(std::ceil(2.0 / std::max(once, 1e-3))), 1, 50);
  std::vector<double> ms;
  for (int i = 0; i < warmup + repeats; ++i) {
    wait_for(device);
    start = std::chrono::steady_clock::now();
    for (int j = 0; j < inner; ++j) op();
    wait_for(device);
    const double each =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / inner;
    if (i >= warmup) ms.push_back(each);
    if (say) say(label + (i < warmup ? " warm-up " : " run ") + std::to_string(i + 1) + ": " + std::to_string(each) + " ms");
  }
  return timing_stats(ms);
}

}  // namespace

AttentionBenchResult run_attention_benchmark(const AttentionBenchOptions& o,
                                             const std::function<void(const std::string&)>& log) {
  if (o.device != "cpu" && o.device != "cuda") throw Error("--device must be cpu or cuda (got '" + o.device + "')");
  if (o.device == "cuda" && !at::hasCUDA()) throw Error("--device cuda: this LibTorch build sees no CUDA device");
  if (o.dtype != "bf16" && o.dtype != "fp32") throw Error("--dtype must be bf16 or fp32 (got '" + o.dtype + "')");
  if (o.tokens < 1 || o.tokens > (1 << 30)) throw Error("--tokens must be between 1 and 2^30");
  if (o.heads < 1 || o.heads > 4096) throw Error("--heads must be between 1 and 4096");
  if (o.head_dim < 8 || o.head_dim > 512 || o.head_dim % 8 != 0)
    throw Error("--head-dim must be a multiple of 8 between 8 and 512");
  if (o.batch < 1 || o.batch > 64) throw Error("--batch must be between 1 and 64");
  if (o.repeats < 1 || o.warmup < 0) throw Error("--repeats must be at least 1 and --warmup at least 0");

  const at::Device device = o.device == "cuda" ? at::Device(at::kCUDA) : at::Device(at::kCPU);
  const auto dtype = o.dtype == "bf16" ? at::kBFloat16 : at::kFloat;
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  const std::int64_t B = o.batch, H = o.heads, L = o.tokens, D = o.head_dim;
  at::manual_seed(0);
  // The DiT's layout: [B, L, H, D] viewed as [B, H, L, D].
  const at::Tensor q = at::randn({B, L, H, D}, f32).to(dtype).transpose(1, 2);
  const at::Tensor k = at::randn({B, L, H, D}, f32).to(dtype).transpose(1, 2);
  const at::Tensor v = at::randn({B, L, H, D}, f32).to(dtype).transpose(1, 2);
  const at::Tensor dout = at::randn({B, H, L, D}, f32).to(dtype);
  model::AttentionLayerState layer;
  layer.init_linear_branch(H, D, device);
  layer.w_q.add_(at::randn_like(layer.w_q), 0.1);
  layer.w_k.add_(at::randn_like(layer.w_k), 0.1);

  AttentionBenchResult r;
  r.device_name = o.device;
  const double elem = dtype == at::kBFloat16 ? 2.0 : 4.0;
  const double tensor_bytes = static_cast<double>(B * H * L * D) * elem;
  r.forward_bytes = 4 * tensor_bytes;
  r.forward_backward_bytes = r.forward_bytes + 7 * tensor_bytes;
#ifdef LINVIDEO_WITH_CUDA
  if (device.is_cuda()) r.peak_gbs = kernels::peak_bandwidth_gbs();
#endif

  using Attn = std::function<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                        const at::Tensor&)>;
  auto bench = [&](const std::string& name, const std::string& unavailable, const Attn& f) {
    AttentionTiming t;
    t.name = name;
    t.unavailable = unavailable;
    if (!unavailable.empty()) {
      if (log) log(name + ": not run (" + unavailable + ")");
      r.rows.push_back(t);
      return;
    }
    {
      const at::NoGradGuard no_grad;
      t.forward = time_op([&] { f(q, k, v, layer.w_q, layer.w_k); }, device, o.warmup, o.repeats, name + " forward", log);
    }
    if (o.backward) {
      const at::Tensor qg = q.detach().requires_grad_(), kg = k.detach().requires_grad_(), vg = v.detach().requires_grad_();
      const at::Tensor wq = layer.w_q.detach().requires_grad_(), wk = layer.w_k.detach().requires_grad_();
      t.forward_backward = time_op(
          [&] {
            f(qg, kg, vg, wq, wk).backward(dout);
            for (const at::Tensor* x : {&qg, &kg, &vg, &wq, &wk}) x->mutable_grad() = at::Tensor();
          },
          device, o.warmup, o.repeats, name + " forward+backward", log);
    }
    r.rows.push_back(t);
  };

  bench("sdpa", "", [](const at::Tensor& q_, const at::Tensor& k_, const at::Tensor& v_, const at::Tensor&,
                       const at::Tensor&) { return model::softmax_attention(q_, k_, v_); });
  bench("linear-reference", "", [](const at::Tensor& q_, const at::Tensor& k_, const at::Tensor& v_,
                                   const at::Tensor& wq, const at::Tensor& wk) {
    return model::linear_attention(q_, k_, v_, wq, wk);
  });
  std::string why = model::fused_attention_unavailable(q, k, v, layer.w_q, layer.w_k);
  if (why == "LINVIDEO_ATTENTION=reference") why.clear();  // the benchmark times the kernels explicitly
#ifdef LINVIDEO_WITH_CUDA
  if (why.empty()) {
    const at::NoGradGuard no_grad;
    const at::Tensor fused = kernels::fused_linear_attention(q, k, v, layer.w_q, layer.w_k).to(at::kFloat);
    const at::Tensor ref = model::linear_attention(q.to(at::kFloat), k.to(at::kFloat), v.to(at::kFloat), layer.w_q,
                                                   layer.w_k);
    r.fused_max_rel_diff = (fused - ref).abs().max().item<double>() / std::max(ref.abs().max().item<double>(), 1e-30);
  }
  bench("linear-fused", why, [](const at::Tensor& q_, const at::Tensor& k_, const at::Tensor& v_,
                                const at::Tensor& wq, const at::Tensor& wk) {
    return kernels::fused_linear_attention(q_, k_, v_, wq, wk);
  });
#else
  bench("linear-fused", why, {});
#endif
  return r;
}

}  // namespace linvideo::bench
