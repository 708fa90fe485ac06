#pragma once
// Flow-matching time grids. sigma = 1 is pure noise; the model is fed `timesteps` (sigma * 1000,
// integer-truncated for UniPC as the reference does).
#include <string>
#include <vector>

namespace linvideo::sampling {

enum class SolverKind { Euler, UniPC };
// Which σ grid: diffusers' (UniPC: linspace(1, 1/1000); Euler: FlowMatchEulerDiscreteScheduler) or
// the original Wan FlowUniPC grid (linspace(0.999, 0)).
enum class SigmaGrid { Diffusers, Wan };

struct FlowSchedule {
  std::vector<double> sigmas;     // N + 1 values, last is 0 (rounded to float32, as the references)
  std::vector<double> timesteps;  // N values fed to the model
  std::size_t steps() const { return timesteps.size(); }
};

// σ' = s σ / (1 + (s - 1) σ)
double shift_sigma(double sigma, double shift);

FlowSchedule make_schedule(SolverKind solver, SigmaGrid grid, int steps, double shift);

// A fixed list of sigmas instead of a grid (a few-step student's schedule): strictly decreasing in
// (0, 1], 0 appended; the model is fed sigma * 1000 (not truncated). For the Euler sampler.
FlowSchedule make_fixed_schedule(const std::vector<double>& sigmas);

bool parse_solver(const std::string& text, SolverKind* out);
bool parse_grid(const std::string& text, SigmaGrid* out);
const char* solver_name(SolverKind solver);
const char* grid_name(SigmaGrid grid);

}  // namespace linvideo::sampling
