// `linvideo bench vae` on a tiny random VAE on the CPU: the reference row comes first, the fast path
// is timed beside it on the same latent and agrees with it, and bad options name the option.
// Timings themselves are not asserted (benchmarks own them).
#include <gtest/gtest.h>

#include <string>

#include "core/bench/vae_benchmark.h"
#include "core/error.h"
#include "core/pipeline/model_loader.h"

using namespace linvideo;

namespace {

bench::VaeBenchOptions tiny() {
  bench::VaeBenchOptions o;
  o.config.base_dim = 4;
  o.config.num_res_blocks = 1;
  o.frames = 9, o.height = 32, o.width = 24;
  o.warmup = 0, o.repeats = 2;
  return o;
}

std::string error_of(const bench::VaeBenchOptions& o) {
  try {
    bench::run_vae_benchmark(o);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(VaeBench, TimesTheReferenceThenTheFrameConvolutionsOnTheSameLatent) {
  const auto r = bench::run_vae_benchmark(tiny());
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].name, "fp32-conv3d");
  EXPECT_EQ(r.rows[1].name, "fp32-frame-convs");
  EXPECT_EQ(r.latent, (std::vector<std::int64_t>{1, 16, 3, 4, 3}));
  for (const auto& row : r.rows) {
    EXPECT_EQ(row.decode.ms.size(), 2u);
    EXPECT_GT(row.decode.median_ms, 0);
    EXPECT_EQ(row.peak_bytes, -1);  // no CUDA: not measured
  }
  EXPECT_EQ(r.rows[0].rel_diff, 0);
  EXPECT_GT(r.rows[1].rel_diff, 0);  // summed in another order...
  EXPECT_LT(r.rows[1].rel_diff, 1e-5);  // ...to float rounding
}

TEST(VaeBench, BadOptionsNameTheOption) {
  auto o = tiny();
  o.frames = 8;
  EXPECT_NE(error_of(o).find("--frames"), std::string::npos);
  o = tiny();
  o.height = 30;
  EXPECT_NE(error_of(o).find("--height"), std::string::npos);
  o = tiny();
  o.device = "tpu";
  EXPECT_NE(error_of(o).find("--device"), std::string::npos);
  o = tiny();
  o.repeats = 0;
  EXPECT_NE(error_of(o).find("--repeats"), std::string::npos);
  o = tiny();
  o.config.base_dim = 0;
  EXPECT_NE(error_of(o).find("--model"), std::string::npos);
  try {
    bench::bench_vae_config("/nonexistent/folder");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--model"), std::string::npos);
  }
}

TEST(VaeBench, ModelNamesTheWan21VaeAConfigOrAFolder) {
  EXPECT_EQ(bench::bench_vae_config("2.1").base_dim, 96);
  const auto shapes = bench::bench_vae_config(pipeline::default_model_dir());
  EXPECT_EQ(shapes.base_dim, 16);
  EXPECT_EQ(shapes.num_res_blocks, 1);
}
