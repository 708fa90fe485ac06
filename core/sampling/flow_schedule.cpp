#include "core/sampling/flow_schedule.h"

#include <cmath>

#include "core/error.h"

namespace linvideo::sampling {
namespace {

constexpr double kTrainSteps = 1000.0;

std::vector<double> linspace(double a, double b, int n) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[i] = n == 1 ? a : a + (b - a) * i / (n - 1);
  return v;
}

double to_f32(double x) { return static_cast<double>(static_cast<float>(x)); }

// diffusers FlowMatchEulerDiscreteScheduler: the training grid is shifted at construction and the
// inference grid is shifted again in set_timesteps (both shifts are part of the reference).
FlowSchedule euler_schedule(int n, double shift) {
  const double sigma_max = to_f32(shift_sigma(1.0, shift));
  const double sigma_min = to_f32(shift_sigma(to_f32(1.0 / kTrainSteps), shift));
  FlowSchedule s;
  for (double t : linspace(sigma_max * kTrainSteps, sigma_min * kTrainSteps, n)) {
    const double sigma = to_f32(shift_sigma(t / kTrainSteps, shift));
    s.sigmas.push_back(sigma);
    s.timesteps.push_back(to_f32(sigma * kTrainSteps));
  }
  s.sigmas.push_back(0.0);
  return s;
}

FlowSchedule unipc_schedule(int n, double shift, SigmaGrid grid) {
  FlowSchedule s;
  const std::vector<double> base = grid == SigmaGrid::Diffusers
                                       ? linspace(1.0, 1.0 / kTrainSteps, n + 1)
                                       : linspace(1.0 - 1.0 / kTrainSteps, 0.0, n + 1);
  for (int i = 0; i < n; ++i) {
    double sigma = shift_sigma(base[i], shift);
    // σ = 1 would make α = 0 and λ = log α undefined; diffusers nudges it just below 1.
    if (sigma >= 1.0) sigma = 1.0 - 1e-6;
    s.timesteps.push_back(std::floor(sigma * kTrainSteps));
    s.sigmas.push_back(to_f32(sigma));
  }
  s.sigmas.push_back(0.0);
  return s;
}

}  // namespace

double shift_sigma(double sigma, double shift) { return shift * sigma / (1.0 + (shift - 1.0) * sigma); }

FlowSchedule make_schedule(SolverKind solver, SigmaGrid grid, int steps, double shift) {
  if (steps < 1) throw Error("--steps must be at least 1 (got " + std::to_string(steps) + ")");
  if (!(shift > 0.0)) throw Error("--shift must be positive");
  if (solver == SolverKind::Euler) return euler_schedule(steps, shift);
  return unipc_schedule(steps, shift, grid);
}

FlowSchedule make_fixed_schedule(const std::vector<double>& sigmas) {
  if (sigmas.empty()) throw Error("a fixed schedule needs at least one sigma");
  FlowSchedule s;
  for (std::size_t i = 0; i < sigmas.size(); ++i) {
    if (!(sigmas[i] > 0.0 && sigmas[i] <= 1.0) || (i > 0 && !(sigmas[i] < sigmas[i - 1]))) {
      throw Error("fixed schedule: sigmas must decrease strictly within (0, 1] (sigma " + std::to_string(i + 1) +
                  " is " + std::to_string(sigmas[i]) + ")");
    }
    s.sigmas.push_back(sigmas[i]);
    s.timesteps.push_back(sigmas[i] * kTrainSteps);
  }
  s.sigmas.push_back(0.0);
  return s;
}

bool parse_solver(const std::string& text, SolverKind* out) {
  if (text == "euler") return *out = SolverKind::Euler, true;
  if (text == "unipc") return *out = SolverKind::UniPC, true;
  return false;
}
bool parse_grid(const std::string& text, SigmaGrid* out) {
  if (text == "diffusers") return *out = SigmaGrid::Diffusers, true;
  if (text == "wan") return *out = SigmaGrid::Wan, true;
  return false;
}
const char* solver_name(SolverKind solver) { return solver == SolverKind::Euler ? "euler" : "unipc"; }
const char* grid_name(SigmaGrid grid) { return grid == SigmaGrid::Diffusers ? "diffusers" : "wan"; }

}  // namespace linvideo::sampling
