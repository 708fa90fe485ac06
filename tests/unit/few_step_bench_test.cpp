// `linvideo bench generation` and `bench distill` on a tiny random DiT on the CPU: what each timed
// generation actually ran (DiT forwards, the student's schedule, its linear layers) and that the
// distill benchmark leaves nothing on disk; and the clip tags of a few-step generation. Timings
// themselves are not asserted (benchmarks own them).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/bench/few_step_benchmark.h"
#include "core/error.h"
#include "core/pipeline/clip_tags.h"
#include "core/sampling/flow_schedule.h"

namespace fs = std::filesystem;
using namespace linvideo;

namespace {

model::DitConfig tiny() {
  model::DitConfig c;
  c.dim = 32, c.ffn_dim = 64, c.freq_dim = 32, c.text_dim = 16, c.num_heads = 2, c.num_layers = 4, c.text_len = 8;
  return c;
}

}  // namespace

TEST(FewStepBench, TeacherRunsTwoForwardsPerStepAndTheStudentOnePerScheduleStep) {
  bench::GenerationBenchOptions o;
  o.config = tiny();
  o.device = "cpu", o.dtype = "fp32";
  o.frames = 5, o.height = 32, o.width = 32;
  o.teacher_steps = 3, o.guidance = 5.0, o.shift = 5.0;
  o.student_timesteps = {1000, 600, 300};
  o.linear_layers = 2;
  o.teacher_repeats = 1, o.student_repeats = 2, o.warmup = 0;
  const auto r = bench::run_generation_benchmark(o);
  EXPECT_EQ(r.teacher.dit_forwards, 6);  // CFG: conditional + unconditional per step
  EXPECT_EQ(r.student.dit_forwards, 3);  // no CFG, one per fixed sigma
  EXPECT_EQ(r.teacher.time.ms.size(), 1u);
  EXPECT_EQ(r.student.time.ms.size(), 2u);
  EXPECT_EQ(r.linear_layer_ids.size(), 2u);
  ASSERT_EQ(r.student_sigmas.size(), 3u);
  EXPECT_NEAR(r.student_sigmas[1], sampling::shift_sigma(0.6, 5.0), 1e-12);
  EXPECT_EQ(r.tokens, 2 * 2 * 2);  // latent 2x4x4, patch 1x2x2
  EXPECT_GT(r.speedup, 0.0);
  EXPECT_EQ(r.teacher.peak_bytes, -1);  // no CUDA here: not measured, and said so
}

TEST(FewStepBench, BadOptionsNameTheOption) {
  bench::GenerationBenchOptions o;
  o.config = tiny();
  o.device = "cpu", o.dtype = "fp32";
  o.frames = 6;
  try {
    bench::run_generation_benchmark(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--frames"), std::string::npos) << e.what();
  }
  o.frames = 5, o.height = 32, o.width = 32;
  o.student_timesteps = {250, 500};
  EXPECT_THROW(bench::run_generation_benchmark(o), Error);
  o.student_timesteps = {1000, 500};
  o.teacher_repeats = 0;
  try {
    bench::run_generation_benchmark(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--teacher-repeats"), std::string::npos) << e.what();
  }
}

TEST(FewStepBench, DistillRunsTheStepsAndLeavesNoCheckpointOrStudentBehind) {
  bench::DistillBenchOptions o;
  o.config = tiny();
  o.device = "cpu";
  o.frames = 5, o.height = 32, o.width = 32;
  o.steps = 2, o.critic_updates = 1;
  o.student_timesteps = {1000, 500};
  o.linear_layers = 2;
  o.work_dir = (fs::temp_directory_path() / "linvideo_few_step_bench_test").string();
  const auto r = bench::run_distill_benchmark(o);
  ASSERT_EQ(r.step_seconds.size(), 2u);
  for (double s : r.step_seconds) EXPECT_GT(s, 0.0);
  EXPECT_FALSE(fs::exists(o.work_dir)) << "the scratch folder is removed";
  EXPECT_EQ(r.peak_bytes, -1);
}

TEST(ClipTags, AStudentClipRecordsItsFixedScheduleNotTheGrid) {
  pipeline::GenerationSettings s;
  s.steps = 50, s.solver = sampling::SolverKind::UniPC;
  const auto dense = pipeline::clip_settings(s, "m", {});
  EXPECT_EQ(dense.steps, 50);
  EXPECT_NE(dense.sampler.find("grid"), std::string::npos) << dense.sampler;
  s.fixed_sigmas = {1.0, 0.9, 0.7, 0.4};
  s.solver = sampling::SolverKind::Euler;
  const auto few = pipeline::clip_settings(s, "m", {});
  EXPECT_EQ(few.steps, 4);
  EXPECT_EQ(few.sampler, "euler (fixed 4-step schedule)");
  EXPECT_EQ(few.student, "");
  EXPECT_EQ(pipeline::clip_settings(s, "m", {}, "/r/student.safetensors").student, "/r/student.safetensors");
}
