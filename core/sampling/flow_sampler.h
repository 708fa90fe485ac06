#pragma once
// Flow-matching solvers: Euler and UniPC (order 2, bh2, predict-x0 with flow prediction), and a
// sampling loop with a classifier-free-guidance hook.
#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

#include "core/sampling/flow_schedule.h"

namespace linvideo::sampling {

class FlowSampler {
 public:
  explicit FlowSampler(FlowSchedule schedule) : schedule_(std::move(schedule)) {}
  virtual ~FlowSampler() = default;

  const FlowSchedule& schedule() const { return schedule_; }
  std::size_t step_index() const { return step_; }
  bool done() const { return step_ >= schedule_.steps(); }
  double timestep() const { return schedule_.timesteps.at(step_); }  // what the model is fed now
  double sigma() const { return schedule_.sigmas.at(step_); }

  // Advances x from sigma() to the next σ given the model's velocity at (x, timestep()).
  at::Tensor step(const at::Tensor& velocity, const at::Tensor& x);

 protected:
  virtual at::Tensor advance(const at::Tensor& velocity, const at::Tensor& x) = 0;
  FlowSchedule schedule_;
  std::size_t step_ = 0;
};

std::unique_ptr<FlowSampler> make_sampler(SolverKind solver, FlowSchedule schedule);

// The model as the sampler sees it: velocity at latent x and model timestep t.
using VelocityFn = std::function<at::Tensor(const at::Tensor& x, double timestep)>;

// Classifier-free guidance: v = v_uncond + scale (v_cond - v_uncond), combined in float32.
// With scale == 1 the unconditional branch is skipped.
VelocityFn guided(VelocityFn conditional, VelocityFn unconditional, double scale);

struct StepEvent {
  std::size_t step;   // 1-based, after the step
  std::size_t total;
  const at::Tensor& x;
};
// Return false to stop (cancellation); the loop then returns the latest x.
using StepCallback = std::function<bool(const StepEvent&)>;

// Runs the whole schedule from x_init. Never synchronises with the device inside the loop unless
// the callback does.
at::Tensor sample(FlowSampler& sampler, const at::Tensor& x_init, const VelocityFn& model,
                  const StepCallback& on_step = {});

}  // namespace linvideo::sampling
