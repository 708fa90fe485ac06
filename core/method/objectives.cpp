#include "core/method/objectives.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace linvideo::method {

at::Tensor round_ste(const at::Tensor& r) { return r + (at::round(r) - r).detach(); }

at::Tensor constraint_loss(const at::Tensor& scores, std::int64_t target_linear) {
  const double keep = static_cast<double>(scores.numel() - target_linear);
  return (round_ste(scores).sum() - keep).pow(2);
}

at::Tensor binarization_loss(const at::Tensor& scores, double alpha) {
  return (1 - (2 * scores - 1).abs().pow(alpha)).sum();
}

at::Tensor tie_break_gradient(const at::Tensor& scores, std::int64_t target_linear, double band) {
  const at::Tensor r = scores.detach().to(at::kDouble).cpu().contiguous();
  const std::int64_t n = r.numel();
  const double* v = r.data_ptr<double>();
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  // Highest score first; equal scores: the deeper layer first.
  std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return v[a] != v[b] ? v[a] > v[b] : a > b; });
  at::Tensor g = at::zeros({n}, at::kDouble);
  double* out = g.data_ptr<double>();
  const std::int64_t keep = n - target_linear;
  for (std::int64_t rank = 0; rank < n; ++rank) {
    const std::int64_t i = order[static_cast<std::size_t>(rank)];
    if (std::abs(v[i] - 0.5) > band) continue;
    out[i] = rank < keep ? -2.0 : 2.0;  // descent moves the score up (stays softmax) or down (linear)
  }
  return g.to(scores.options().dtype()).to(scores.device()).view(scores.sizes());
}

double cosine_lr(double base, std::int64_t step, std::int64_t total_steps, double min_ratio) {
  if (total_steps <= 1) return base;
  const double f = std::clamp(static_cast<double>(step) / static_cast<double>(total_steps), 0.0, 1.0);
  const double low = base * min_ratio;
  return low + 0.5 * (base - low) * (1.0 + std::cos(3.14159265358979323846 * f));
}

double alpha_at(std::int64_t step, std::int64_t total_steps, double from, double to) {
  if (total_steps <= 1) return to;
  const double f = std::clamp(static_cast<double>(step) / static_cast<double>(total_steps - 1), 0.0, 1.0);
  return from + (to - from) * f;
}

at::Tensor mse_objective(const at::Tensor& student_velocity, const at::Tensor& teacher_velocity) {
  return (student_velocity.to(at::kFloat) - teacher_velocity.to(at::kFloat)).pow(2).mean();
}

at::Tensor adm_surrogate(const at::Tensor& x_hat, const at::Tensor& teacher_velocity,
                         const at::Tensor& student_velocity, const at::Tensor& t, double t_min, bool normalize) {
  at::Tensor g;
  {
    at::NoGradGuard no_grad;
    const at::Tensor tc = t.to(at::kFloat).clamp_min(t_min).view({-1, 1, 1, 1, 1});
    g = (1 - tc) / tc * (teacher_velocity.to(at::kFloat) - student_velocity.to(at::kFloat));
    if (normalize) {
      const at::Tensor scale = g.abs().mean({1, 2, 3, 4}, /*keepdim=*/true).clamp_min(1e-12);
      g = g / scale;
    }
  }
  const at::Tensor target = (x_hat - g).detach();
  return 0.5 * (x_hat - target).pow(2).sum({1, 2, 3, 4}).mean();
}

at::Tensor dmd_gradient(const at::Tensor& real_velocity, const at::Tensor& fake_velocity, const at::Tensor& sigma,
                        bool normalize) {
  at::NoGradGuard no_grad;
  const at::Tensor s = sigma.to(at::kFloat).view({-1, 1, 1, 1, 1});
  at::Tensor g = s * (real_velocity.to(at::kFloat) - fake_velocity.to(at::kFloat));
  if (normalize) g = g / g.abs().mean({1, 2, 3, 4}, /*keepdim=*/true).clamp_min(1e-12);
  return g;
}

at::Tensor dmd_surrogate(const at::Tensor& x0, const at::Tensor& g) {
  const at::Tensor target = (x0 - g).detach();
  return 0.5 * (x0 - target).pow(2).sum({1, 2, 3, 4}).mean();
}

at::Tensor flow_matching_loss(const at::Tensor& predicted_velocity, const at::Tensor& x0, const at::Tensor& noise) {
  return (predicted_velocity.to(at::kFloat) - (noise - x0).to(at::kFloat)).pow(2).mean();
}

}  // namespace linvideo::method
