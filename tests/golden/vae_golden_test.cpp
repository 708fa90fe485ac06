// The Wan VAE against the original and diffusers implementations: every manifest case of kind
// "vae", both key layouts, encoder mean and decode.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"
#include "core/io/vae_dialect.h"
#include "core/model/wan_vae.h"
#include "tests/support/test_support.h"

using namespace linvideo;
using test::golden_dir;
using test::relative_error;

namespace {

constexpr double kTolerance = 1e-4;

std::unique_ptr<model::WanVAE> load(const std::string& name, const std::string& layout,
                                    const model::VaeOptions& opts = {}) {
  const auto config = model::load_vae_config(golden_dir() + "/" + name + ".config.json");
  const auto ckpt = io::Checkpoint::open(golden_dir() + "/" + name + "." + layout + ".safetensors");
  const auto keys = io::detect_vae_dialect(ckpt.keys(), config.num_res_blocks, ckpt.source());
  EXPECT_EQ(keys.dialect, layout == "diffusers" ? io::VaeDialect::Diffusers : io::VaeDialect::Original);
  return model::WanVAE::load(ckpt, keys, config, opts);
}

}  // namespace

TEST(Vae, ManifestHasVaeCases) { ASSERT_FALSE(test::golden_cases("vae").empty()); }

TEST(Vae, EncoderMeanAndDecodeMatchReferenceInBothLayouts) {
  for (const auto& name : test::golden_cases("vae")) {
    const io::SafetensorsFile io(golden_dir() + "/" + name + ".io.safetensors");
    for (const std::string layout : {"original", "diffusers"}) {
      SCOPED_TRACE(name + "." + layout);
      const auto vae = load(name, layout);
      const at::Tensor mu = vae->encode(io.tensor("video"));
      ASSERT_EQ(mu.sizes(), io.tensor("mu").sizes());
      EXPECT_LT(relative_error(mu, io.tensor("mu")), kTolerance);
      const at::Tensor decoded = vae->decode(io.tensor("z"));
      ASSERT_EQ(decoded.sizes(), io.tensor("decoded").sizes());
      EXPECT_LT(relative_error(decoded, io.tensor("decoded")), kTolerance);
    }
  }
}

// Both convolution paths (2-D convolutions over the frames, the CPU default, and at::conv3d) match
// the reference, and a batch of two decodes and encodes as its two samples do.
TEST(Vae, FrameConvolutionsAndConv3dBothMatchTheReferenceBatchedToo) {
  const auto name = test::golden_cases("vae").front();
  const io::SafetensorsFile io(golden_dir() + "/" + name + ".io.safetensors");
  const at::Tensor z = io.tensor("z"), video = io.tensor("video");
  for (const bool frame_convs : {true, false}) {
    SCOPED_TRACE(frame_convs ? "frame convolutions" : "conv3d");
    model::VaeOptions opts;
    opts.frame_convs = frame_convs;
    const auto vae = load(name, "original", opts);
    EXPECT_LT(relative_error(vae->decode(z), io.tensor("decoded")), kTolerance);
    EXPECT_LT(relative_error(vae->encode(video), io.tensor("mu")), kTolerance);
    const at::Tensor pair = vae->decode(at::cat({z, 0.5 * z}, 0));
    ASSERT_EQ(pair.size(0), 2);
    EXPECT_LT(relative_error(pair[0].unsqueeze(0), io.tensor("decoded")), kTolerance);
    EXPECT_LT(relative_error(pair[1].unsqueeze(0), vae->decode(0.5 * z)), kTolerance);
    const at::Tensor mus = vae->encode(at::cat({video, video.flip(3)}, 0));
    EXPECT_LT(relative_error(mus[0].unsqueeze(0), io.tensor("mu")), kTolerance);
    EXPECT_LT(relative_error(mus[1].unsqueeze(0), vae->encode(video.flip(3))), kTolerance);
  }
}

// The CUDA decode generation uses (bf16 activations with float32 channel norms, channels-last
// convolutions) and the float32 one, against the reference; the encoder too.
TEST(Vae, CudaBf16ChannelsLastAndFp32MatchTheReference) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  for (const auto& name : test::golden_cases("vae")) {
    const io::SafetensorsFile io(golden_dir() + "/" + name + ".io.safetensors");
    for (const bool bf16 : {false, true}) {
      SCOPED_TRACE(name + (bf16 ? " bf16 channels-last" : " fp32"));
      model::VaeOptions opts;
      opts.device = at::Device(at::kCUDA);
      opts.dtype = bf16 ? at::kBFloat16 : at::kFloat;
      opts.channels_last = bf16;
      const auto vae = load(name, "diffusers", opts);
      const at::Tensor decoded = vae->decode(io.tensor("z"));
      ASSERT_EQ(decoded.scalar_type(), at::kFloat);
      // TF32 may be on for fp32 convolutions on the GPU, hence 1e-3 there.
      EXPECT_LT(relative_error(decoded.cpu(), io.tensor("decoded")), bf16 ? 3e-2 : 1e-3);
      EXPECT_LT(relative_error(vae->encode(io.tensor("video")).cpu(), io.tensor("mu")), bf16 ? 3e-2 : 1e-3);
    }
  }
}

TEST(Vae, TiledDecodeMatchesUntiledAwayFromSeams) {
  const auto vae = load(test::golden_cases("vae").front(), "original");
  at::manual_seed(3);
  const at::Tensor z = at::randn({1, vae->config().z_dim, 2, 24, 24});
  const at::Tensor full = vae->decode(z);
  // A tile as large as the latent is the untiled path.
  vae->options().tile_latent = 24;
  EXPECT_TRUE(at::equal(vae->decode(z), full));
  // Real tiles: every frame covered, progress reported per tile and frame, seams blended.
  vae->options().tile_latent = 16;
  vae->options().tile_overlap_latent = 8;
  std::int64_t calls = 0, last_total = 0;
  const at::Tensor tiled = vae->decode(z, [&](std::int64_t, std::int64_t total) { ++calls, last_total = total; });
  EXPECT_EQ(calls, last_total);
  EXPECT_EQ(last_total, 4 * 2);  // 2 x 2 tiles, 2 latent frames each
  ASSERT_EQ(tiled.sizes(), full.sizes());
  const double err = relative_error(tiled, full);
  EXPECT_LT(err, 0.15);  // 0.07 measured with the golden (random-weight) VAE
  EXPECT_GT(err, 0.0);
}

TEST(Vae, NormalizationRoundTripsWithConfigStatistics) {
  const auto vae = load(test::golden_cases("vae").front(), "diffusers");
  const at::Tensor mu = at::randn({1, vae->config().z_dim, 2, 3, 3});
  EXPECT_LT(relative_error(vae->denormalize(vae->normalize(mu)), mu), 1e-6);
  const at::Tensor zero_mean = vae->normalize(at::tensor(vae->config().latents_mean).to(at::kFloat).view({1, -1, 1, 1, 1}));
  EXPECT_LT(zero_mean.abs().max().item<double>(), 1e-5);
}

TEST(Vae, BadShapesAndWrongFilesGiveNamedErrors) {
  const std::string name = test::golden_cases("vae").front();
  auto config = model::load_vae_config(golden_dir() + "/" + name + ".config.json");
  config.base_dim += 1;
  const auto ckpt = io::Checkpoint::open(golden_dir() + "/" + name + ".diffusers.safetensors");
  try {
    model::WanVAE::load(ckpt, io::detect_vae_dialect(ckpt.keys(), config.num_res_blocks, ckpt.source()), config);
    FAIL() << "loaded a VAE into the wrong shapes";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("encoder.conv_in.weight"), std::string::npos) << e.what();
  }
  const auto dit = io::Checkpoint::open(golden_dir() + "/dit_tiny.original.safetensors");
  EXPECT_THROW(io::detect_vae_dialect(dit.keys(), 2, dit.source()), Error);
  const auto vae = load(name, "original");
  EXPECT_THROW(vae->encode(at::zeros({1, 3, 6, 32, 48})), Error);  // 6 frames is not 1 + 4k
  EXPECT_THROW(vae->decode(at::zeros({1, 4, 2, 4, 4})), Error);
}
