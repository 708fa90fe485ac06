// The Wan DiT against reference outputs of the original and the diffusers implementations. Every
// case in manifest.json of kind "dit" is checked; shapes come from the files.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/dit_dialect.h"
#include "core/io/safetensors.h"
#include "core/model/wan_dit.h"
#include "tests/support/test_support.h"

using namespace linvideo;
using test::golden_dir;
using test::relative_error;

namespace {

constexpr double kTolerance = 1e-4;  // golden README, fp32 CPU

struct DitCase {
  std::string name;
  model::DitConfig config;
  io::SafetensorsFile io;
  explicit DitCase(const std::string& n)
      : name(n),
        config(model::load_dit_config(golden_dir() + "/" + n + ".config.json")),
        io(golden_dir() + "/" + n + ".io.safetensors") {}
  std::unique_ptr<model::WanDiT> load(const std::string& layout, const model::DitLoadOptions& opts = {}) const {
    const auto ckpt = io::Checkpoint::open(golden_dir() + "/" + name + "." + layout + ".safetensors");
    return model::WanDiT::load(ckpt, io::detect_dit_dialect(ckpt.keys(), ckpt.source()), config, opts);
  }
};

}  // namespace

TEST(Dit, ManifestHasDitCases) {
  ASSERT_FALSE(test::golden_cases("dit").empty()) << "no dit cases in " << golden_dir() << "/manifest.json";
}

TEST(Dit, MatchesReferenceInBothKeyLayouts) {
  for (const auto& name : test::golden_cases("dit")) {
    const DitCase c(name);
    for (const std::string layout : {"original", "diffusers"}) {
      SCOPED_TRACE(name + "." + layout);
      const auto dit = c.load(layout);
      const at::Tensor out = dit->forward(c.io.tensor("x"), c.io.tensor("t"), c.io.tensor("context_padded"));
      const at::Tensor ref = c.io.tensor("out");
      ASSERT_EQ(out.sizes(), ref.sizes());
      EXPECT_LT(relative_error(out, ref), kTolerance);
    }
  }
}

TEST(Dit, PadsTrueLengthContextItself) {
  for (const auto& name : test::golden_cases("dit")) {
    SCOPED_TRACE(name);
    const DitCase c(name);
    const auto dit = c.load("original");
    const at::Tensor out = dit->forward(c.io.tensor("x"), c.io.tensor("t"), c.io.tensor("context"));
    EXPECT_LT(relative_error(out, c.io.tensor("out")), kTolerance);
  }
}

TEST(Dit, Bfloat16StaysCloseToReference) {
  for (const auto& name : test::golden_cases("dit")) {
    SCOPED_TRACE(name);
    const DitCase c(name);
    model::DitLoadOptions opts;
    opts.dtype = at::kBFloat16;
    const auto dit = c.load("diffusers", opts);
    const at::Tensor out = dit->forward(c.io.tensor("x"), c.io.tensor("t"), c.io.tensor("context_padded"));
    EXPECT_EQ(out.scalar_type(), at::kFloat);
    EXPECT_LT(relative_error(out, c.io.tensor("out")), 3e-2);
  }
}

TEST(Dit, LinearModeChangesOutputAndSoftmaxModeRestoresIt) {
  // Guards the mode switch end to end: a test that passes whatever the mode would be worthless.
  const DitCase c(test::golden_cases("dit").front());
  const auto dit = c.load("original");
  auto run = [&] { return dit->forward(c.io.tensor("x"), c.io.tensor("t"), c.io.tensor("context_padded")); };
  auto& layer = dit->attention_state(0);
  layer.init_linear_branch(c.config.num_heads, c.config.head_dim(), at::kCPU);
  layer.mode = model::AttentionMode::Linear;
  const double moved = relative_error(run(), c.io.tensor("out"));
  EXPECT_GT(moved, 1e-3);
  layer.mode = model::AttentionMode::Mixed;  // r = 1 is exactly softmax
  EXPECT_LT(relative_error(run(), c.io.tensor("out")), kTolerance);
  layer.mode = model::AttentionMode::Softmax;
  EXPECT_LT(relative_error(run(), c.io.tensor("out")), kTolerance);
}

TEST(Dit, CudaMatchesReference) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  for (const auto& name : test::golden_cases("dit")) {
    const DitCase c(name);
    for (const auto dtype : {at::kFloat, at::kBFloat16}) {
      SCOPED_TRACE(name + (dtype == at::kFloat ? " fp32" : " bf16"));
      model::DitLoadOptions opts;
      opts.device = at::Device(at::kCUDA);
      opts.dtype = dtype;
      const auto dit = c.load("diffusers", opts);
      const at::Tensor out = dit->forward(c.io.tensor("x"), c.io.tensor("t"), c.io.tensor("context_padded"));
      // TF32 may be on for fp32 matmuls on the GPU, hence the looser bound there.
      EXPECT_LT(relative_error(out, c.io.tensor("out")), dtype == at::kFloat ? 1e-3 : 3e-2);
    }
  }
}

TEST(Dit, ShapeErrorsNameTheTensor) {
  const DitCase c(test::golden_cases("dit").front());
  model::DitConfig wrong = c.config;
  wrong.ffn_dim += 2;
  const auto ckpt = io::Checkpoint::open(golden_dir() + "/" + c.name + ".diffusers.safetensors");
  try {
    model::WanDiT::load(ckpt, io::detect_dit_dialect(ckpt.keys(), ckpt.source()), wrong);
    FAIL() << "loaded weights into the wrong shape";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("blocks.0.ffn.net.0.proj.weight"), std::string::npos) << e.what();
  }
}
