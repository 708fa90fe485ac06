#include "core/sampling/flow_sampler.h"

#include <ATen/ATen.h>

#include <cmath>
#include <deque>

#include "core/error.h"

namespace linvideo::sampling {
namespace {

class EulerSampler final : public FlowSampler {
 public:
  using FlowSampler::FlowSampler;

 protected:
  at::Tensor advance(const at::Tensor& v, const at::Tensor& x) override {
    const double ds = schedule_.sigmas[step_ + 1] - schedule_.sigmas[step_];
    return x.to(at::kFloat) + ds * v.to(at::kFloat);
  }
};

// UniPC multistep (Zhao et al. 2023) as configured for Wan: solver order 2, B(h) = expm1(h)
// ("bh2"), data prediction x0 = x - σ v, predictor-corrector, order 1 on the first and the last
// step. For flow matching α = 1 - σ and λ = log α - log σ.
class UniPCSampler final : public FlowSampler {
 public:
  using FlowSampler::FlowSampler;

 protected:
  at::Tensor advance(const at::Tensor& v, const at::Tensor& sample_in) override {
    const std::size_t i = step_;
    at::Tensor sample = sample_in.to(at::kFloat);
    const at::Tensor x0 = sample - sigma_at(i) * v.to(at::kFloat);

    if (i > 0 && last_sample_.defined()) sample = corrector(x0);

    outputs_.push_back(x0);
    if (outputs_.size() > 2) outputs_.pop_front();

    const std::size_t remaining = schedule_.steps() - i;
    std::size_t order = std::min<std::size_t>(2, remaining);  // lower order on the last step
    order = std::min(order, lower_order_nums_ + 1);            // warm-up
    this_order_ = order;
    last_sample_ = sample;
    at::Tensor next = predictor(sample, order);
    if (lower_order_nums_ < 2) ++lower_order_nums_;
    return next;
  }

 private:
  double sigma_at(std::size_t i) const { return schedule_.sigmas[i]; }
  static double lambda(double sigma) { return std::log(1.0 - sigma) - std::log(sigma); }

  // Coefficients b_k of the UniPC update for B(h) = expm1(h).
  static std::vector<double> b_coefficients(double hh, std::size_t order) {
    std::vector<double> b;
    double h_phi_k = std::expm1(hh) / hh - 1.0;
    double factorial = 1.0;
    const double B_h = std::expm1(hh);
    for (std::size_t k = 1; k <= order; ++k) {
      b.push_back(h_phi_k * factorial / B_h);
      factorial *= static_cast<double>(k + 1);
      h_phi_k = h_phi_k / hh - 1.0 / factorial;
    }
    return b;
  }

  at::Tensor predictor(const at::Tensor& x, std::size_t order) const {
    const std::size_t i = step_;
    const double sigma_t = sigma_at(i + 1), sigma_s0 = sigma_at(i);
    const double alpha_t = 1.0 - sigma_t;
    const at::Tensor& m0 = outputs_.back();
    const double h = lambda(sigma_t) - lambda(sigma_s0);
    const double hh = -h;
    const double h_phi_1 = std::expm1(hh);
    const double B_h = std::expm1(hh);
    at::Tensor x_t = (sigma_t / sigma_s0) * x - (alpha_t * h_phi_1) * m0;
    if (order == 2) {
      const double rk = (lambda(sigma_at(i - 1)) - lambda(sigma_s0)) / h;
      const at::Tensor D1 = (outputs_.front() - m0) / rk;
      x_t = x_t - (alpha_t * B_h * 0.5) * D1;  // rhos_p = [0.5] for order 2
    }
    return x_t;
  }

  at::Tensor corrector(const at::Tensor& model_t) const {
    const std::size_t i = step_;
    const std::size_t order = this_order_;
    const double sigma_t = sigma_at(i), sigma_s0 = sigma_at(i - 1);
    const double alpha_t = 1.0 - sigma_t;
    const at::Tensor& m0 = outputs_.back();
    const double h = lambda(sigma_t) - lambda(sigma_s0);
    const double hh = -h;
    const double h_phi_1 = std::expm1(hh);
    const double B_h = std::expm1(hh);
    const std::vector<double> b = b_coefficients(hh, order);
    at::Tensor x_t = (sigma_t / sigma_s0) * last_sample_ - (alpha_t * h_phi_1) * m0;
    const at::Tensor D1_t = model_t - m0;
    if (order == 1) return x_t - (alpha_t * B_h * 0.5) * D1_t;
    // order 2: solve [[1, 1], [rk, 1]] rho = b
    const double rk = (lambda(sigma_at(i - 2)) - lambda(sigma_s0)) / h;
    const at::Tensor D1 = (outputs_.front() - m0) / rk;
    const double det = 1.0 - rk;
    const double rho0 = (b[0] - b[1]) / det;
    const double rho1 = (b[1] - rk * b[0]) / det;
    return x_t - (alpha_t * B_h) * (rho0 * D1 + rho1 * D1_t);
  }

  std::deque<at::Tensor> outputs_;  // x0 predictions of the last two steps (oldest first)
  at::Tensor last_sample_;
  std::size_t lower_order_nums_ = 0;
  std::size_t this_order_ = 1;
};

}  // namespace

at::Tensor FlowSampler::step(const at::Tensor& velocity, const at::Tensor& x) {
  if (done()) throw Error("sampler: step() called after the last step");
  at::Tensor next = advance(velocity, x);
  ++step_;
  return next;
}

std::unique_ptr<FlowSampler> make_sampler(SolverKind solver, FlowSchedule schedule) {
  if (solver == SolverKind::Euler) return std::make_unique<EulerSampler>(std::move(schedule));
  return std::make_unique<UniPCSampler>(std::move(schedule));
}

VelocityFn guided(VelocityFn conditional, VelocityFn unconditional, double scale) {
  if (scale == 1.0 || !unconditional) return conditional;
  return [conditional, unconditional, scale](const at::Tensor& x, double t) {
    const at::Tensor cond = conditional(x, t).to(at::kFloat);
    const at::Tensor uncond = unconditional(x, t).to(at::kFloat);
    return uncond + scale * (cond - uncond);
  };
}

at::Tensor sample(FlowSampler& sampler, const at::Tensor& x_init, const VelocityFn& model,
                  const StepCallback& on_step) {
  at::Tensor x = x_init.to(at::kFloat);
  const std::size_t total = sampler.schedule().steps();
  while (!sampler.done()) {
    const at::Tensor v = model(x, sampler.timestep());
    x = sampler.step(v, x);
    if (on_step && !on_step(StepEvent{sampler.step_index(), total, x})) break;
  }
  return x;
}

}  // namespace linvideo::sampling
