// The umT5 encoder against reference outputs of transformers' UMT5EncoderModel and Wan's T5. Every
// case in manifest.json of kind "umt5" is checked in both key layouts; shapes come from the files.
// Only unpadded positions are compared: padded query rows are unspecified.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"
#include "core/text/umt5_encoder.h"
#include "core/text/umt5_keys.h"
#include "tests/support/test_support.h"

using namespace linvideo;
using test::golden_dir;
using test::relative_error;

namespace {

constexpr double kTolerance = 1e-4;      // golden README, fp32 CPU
constexpr double kBf16Tolerance = 3e-2;  // bf16 projections, fp32 norms and softmax
const char* const kLayouts[] = {"hf", "original"};

struct Umt5Case {
  std::string name;
  text::UMT5Config config;
  io::SafetensorsFile io;
  explicit Umt5Case(const std::string& n)
      : name(n),
        config(text::load_umt5_config(golden_dir() + "/" + n + ".config.json")),
        io(golden_dir() + "/" + n + ".io.safetensors") {}
  io::Checkpoint checkpoint(const std::string& layout) const {
    return io::Checkpoint::open(golden_dir() + "/" + name + "." + layout + ".safetensors");
  }
  at::Tensor run(const text::UMT5Encoder& encoder) const {
    return encoder.forward(io.tensor("input_ids"), io.tensor("attention_mask"));
  }
  // Unpadded rows only: [tokens, d_model].
  at::Tensor real_tokens(const at::Tensor& hidden) const {
    return hidden.to(at::kCPU).index({io.tensor("attention_mask").to(at::kBool)});
  }
  double error(const at::Tensor& out) const { return relative_error(real_tokens(out), real_tokens(io.tensor("out"))); }
};

}  // namespace

TEST(Umt5, ManifestHasUmt5Cases) {
  ASSERT_FALSE(test::golden_cases("umt5").empty()) << "no umt5 cases in " << golden_dir() << "/manifest.json";
}

TEST(Umt5, MatchesReferenceInBothKeyLayouts) {
  for (const auto& name : test::golden_cases("umt5")) {
    const Umt5Case c(name);
    for (const std::string layout : kLayouts) {
      SCOPED_TRACE(name + "." + layout);
      const auto encoder = text::UMT5Encoder::load(c.checkpoint(layout), c.config);
      const at::Tensor out = c.run(*encoder);
      ASSERT_EQ(out.sizes(), c.io.tensor("out").sizes());
      EXPECT_EQ(out.scalar_type(), at::kFloat);
      const double err = c.error(out);
      std::cout << "[ umt5 ] " << name << "." << layout << " fp32 relative error " << err << "\n";
      EXPECT_LT(err, kTolerance);
    }
  }
}

TEST(Umt5, DetectsLayoutAndConfigFromTheWeights) {
  for (const auto& name : test::golden_cases("umt5")) {
    const Umt5Case c(name);
    for (const std::string layout : kLayouts) {
      SCOPED_TRACE(name + "." + layout);
      const auto ckpt = c.checkpoint(layout);
      const auto keys = text::detect_umt5_layout(ckpt.keys(), ckpt.source());
      EXPECT_EQ(keys.layout, layout == "hf" ? text::UMT5Layout::Transformers : text::UMT5Layout::Original);
      const text::UMT5Config detected = text::detect_umt5_config(ckpt, keys);
      EXPECT_EQ(detected.summary(), c.config.summary());
      EXPECT_DOUBLE_EQ(detected.eps, c.config.eps);
      const auto encoder = text::UMT5Encoder::load(ckpt);
      EXPECT_LT(c.error(c.run(*encoder)), kTolerance);
    }
  }
}

TEST(Umt5, Bfloat16StaysCloseToReference) {
  for (const auto& name : test::golden_cases("umt5")) {
    const Umt5Case c(name);
    for (const std::string layout : kLayouts) {
      SCOPED_TRACE(name + "." + layout);
      text::TextLoadOptions opts;
      opts.dtype = at::kBFloat16;
      const auto encoder = text::UMT5Encoder::load(c.checkpoint(layout), c.config, opts);
      const at::Tensor out = c.run(*encoder);
      EXPECT_EQ(out.scalar_type(), at::kFloat);
      const double err = c.error(out);
      std::cout << "[ umt5 ] " << name << "." << layout << " bf16 relative error " << err << "\n";
      EXPECT_LT(err, kBf16Tolerance);
    }
  }
}

TEST(Umt5, PaddingDoesNotLeakIntoRealTokens) {
  // Changing the ids under the mask must leave every real token's output unchanged.
  for (const auto& name : test::golden_cases("umt5")) {
    SCOPED_TRACE(name);
    const Umt5Case c(name);
    const auto encoder = text::UMT5Encoder::load(c.checkpoint("original"), c.config);
    const at::Tensor mask = c.io.tensor("attention_mask");
    const at::Tensor scrambled = at::where(mask.to(at::kBool), c.io.tensor("input_ids"),
                                           at::full_like(mask, c.config.vocab_size - 1));
    const at::Tensor out = encoder->forward(scrambled, mask);
    EXPECT_LT(c.error(out), kTolerance);
  }
}

TEST(Umt5, TrimKeepsTheRealTokensAndZeroPadsTheRest) {
  for (const auto& name : test::golden_cases("umt5")) {
    SCOPED_TRACE(name);
    const Umt5Case c(name);
    const auto encoder = text::UMT5Encoder::load(c.checkpoint("hf"), c.config);
    const at::Tensor out = c.run(*encoder);
    const at::Tensor mask = c.io.tensor("attention_mask");
    std::vector<std::int64_t> lengths;
    for (std::int64_t b = 0; b < mask.size(0); ++b) lengths.push_back(mask[b].sum().item<std::int64_t>());
    const auto rows = text::trim_to_lengths(out, lengths);
    const at::Tensor padded = text::trim_and_zero_pad(out, lengths);
    const std::int64_t longest = *std::max_element(lengths.begin(), lengths.end());
    ASSERT_EQ(padded.sizes(), (std::vector<std::int64_t>{out.size(0), longest, out.size(2)}));
    for (std::size_t b = 0; b < lengths.size(); ++b) {
      const auto i = static_cast<std::int64_t>(b);
      ASSERT_EQ(rows[b].sizes(), (std::vector<std::int64_t>{lengths[b], out.size(2)}));
      EXPECT_LT(relative_error(rows[b], c.io.tensor("out")[i].narrow(0, 0, lengths[b])), kTolerance);
      EXPECT_TRUE(padded[i].narrow(0, 0, lengths[b]).equal(rows[b]));
      EXPECT_EQ(padded[i].narrow(0, lengths[b], longest - lengths[b]).abs().sum().item<double>(), 0.0);
    }
  }
}

TEST(Umt5, CudaMatchesReference) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  for (const auto& name : test::golden_cases("umt5")) {
    const Umt5Case c(name);
    for (const auto dtype : {at::kFloat, at::kBFloat16}) {
      SCOPED_TRACE(name + (dtype == at::kFloat ? " fp32" : " bf16"));
      text::TextLoadOptions opts;
      opts.device = at::Device(at::kCUDA);
      opts.dtype = dtype;
      const auto encoder = text::UMT5Encoder::load(c.checkpoint("hf"), c.config, opts);
      // TF32 may be on for fp32 matmuls on the GPU, hence the looser bound there.
      EXPECT_LT(c.error(c.run(*encoder)), dtype == at::kFloat ? 1e-3 : kBf16Tolerance);
    }
  }
}
