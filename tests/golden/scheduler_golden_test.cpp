// Euler and UniPC against the diffusers and original Wan schedulers. Cases are discovered from the
// tensor names in schedulers.safetensors: {euler|unipc|unipc_wan}_shift{S}_n{N}_{field}.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "core/io/safetensors.h"
#include "core/sampling/flow_sampler.h"
#include "tests/support/test_support.h"

using namespace linvideo;
using namespace linvideo::sampling;
using test::golden_dir;
using test::relative_error;

namespace {

constexpr double kTolerance = 1e-5;  // golden README

struct SchedulerCase {
  std::string prefix;  // e.g. "unipc_wan_shift5_n10"
  std::string family;  // euler | unipc | unipc_wan
  double shift;
  int steps;
};

std::vector<std::string> scheduler_files() {
  const auto manifest = nlohmann::json::parse(test::read_text_file(golden_dir() + "/manifest.json"));
  std::vector<std::string> files;
  for (auto it = manifest.begin(); it != manifest.end(); ++it) {
    if (it->value("kind", "") == "schedulers") files.push_back(golden_dir() + "/" + it.key() + ".safetensors");
  }
  return files;
}

std::vector<SchedulerCase> cases_in(const io::SafetensorsFile& f) {
  static const std::regex pattern("^(euler|unipc_wan|unipc)_shift([0-9.]+)_n([0-9]+)_sigmas$");
  std::vector<SchedulerCase> out;
  for (const auto& t : f.header().tensors) {
    std::smatch m;
    if (std::regex_match(t.name, m, pattern)) {
      out.push_back({t.name.substr(0, t.name.size() - 7), m[1], std::stod(m[2]), std::stoi(m[3])});
    }
  }
  return out;
}

// The analytic "model" the references were run with.
at::Tensor analytic_velocity(const at::Tensor& x, double t) {
  const double s = t / 1000.0;
  return at::tanh(x) * (0.5 + s) - 0.3 * x + std::sin(3 * s);
}

}  // namespace

TEST(Schedulers, EveryCaseMatchesReferenceGridAndTrajectory) {
  const auto files = scheduler_files();
  ASSERT_FALSE(files.empty());
  for (const auto& path : files) {
    const io::SafetensorsFile f(path);
    const auto cases = cases_in(f);
    ASSERT_FALSE(cases.empty()) << path;
    for (const auto& c : cases) {
      SCOPED_TRACE(c.prefix);
      const SolverKind solver = c.family == "euler" ? SolverKind::Euler : SolverKind::UniPC;
      const SigmaGrid grid = c.family == "unipc_wan" ? SigmaGrid::Wan : SigmaGrid::Diffusers;
      const FlowSchedule schedule = make_schedule(solver, grid, c.steps, c.shift);
      const at::Tensor sigmas = at::tensor(schedule.sigmas, at::kDouble);
      const at::Tensor timesteps = at::tensor(schedule.timesteps, at::kDouble);
      EXPECT_LT(relative_error(sigmas, f.tensor(c.prefix + "_sigmas")), kTolerance);
      EXPECT_LT(relative_error(timesteps, f.tensor(c.prefix + "_timesteps")), kTolerance);
      // The Wan grid runs from the diffusers case's x_init with the same shift and steps.
      std::string init_key = c.prefix + "_x_init";
      if (!f.contains(init_key)) init_key = "unipc" + c.prefix.substr(c.family.size()) + "_x_init";
      ASSERT_TRUE(f.contains(init_key)) << init_key;
      auto sampler = make_sampler(solver, schedule);
      const at::Tensor x = sample(*sampler, f.tensor(init_key), analytic_velocity);
      EXPECT_LT(relative_error(x, f.tensor(c.prefix + "_x_final")), kTolerance);
    }
  }
}

TEST(Schedulers, GuidanceCombinesBranchesAndStepCallbackCancels) {
  const VelocityFn cond = [](const at::Tensor& x, double) { return x * 2; };
  const VelocityFn uncond = [](const at::Tensor& x, double) { return x; };
  const at::Tensor x = at::ones({3});
  EXPECT_TRUE(at::allclose(guided(cond, uncond, 5.0)(x, 0), x * 6));  // 1 + 5 (2 - 1)
  EXPECT_TRUE(at::allclose(guided(cond, uncond, 1.0)(x, 0), x * 2));

  auto sampler = make_sampler(SolverKind::Euler, make_schedule(SolverKind::Euler, SigmaGrid::Diffusers, 10, 3.0));
  std::size_t calls = 0;
  sample(*sampler, x, uncond, [&](const StepEvent& e) {
    ++calls;
    return e.step < 3;
  });
  EXPECT_EQ(calls, 3u);
  EXPECT_EQ(sampler->step_index(), 3u);
}
