// Whole text-to-video sampling with CFG against the diffusers pipeline: dit + vae from the golden
// set, UniPC, integer timesteps, then decode of latents * std + mean.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/dit_dialect.h"
#include "core/io/safetensors.h"
#include "core/io/vae_dialect.h"
#include "core/model/wan_dit.h"
#include "core/model/wan_vae.h"
#include "core/pipeline/text_to_video.h"
#include "tests/support/test_support.h"

using namespace linvideo;
using test::golden_dir;
using test::relative_error;

namespace {

constexpr double kTolerance = 1e-3;  // golden README

struct PipelineCase {
  std::string name;
  nlohmann::json spec;
};

std::vector<PipelineCase> pipeline_cases() {
  const auto manifest = nlohmann::json::parse(test::read_text_file(golden_dir() + "/manifest.json"));
  std::vector<PipelineCase> out;
  for (auto it = manifest.begin(); it != manifest.end(); ++it) {
    if (it->value("kind", "") == "pipeline") out.push_back({it.key(), *it});
  }
  return out;
}

// The golden pipeline pairs the "pipeline" DiT and VAE: the DiT whose text_dim and channels fit
// the embeddings, and the VAE case of the manifest.
std::string case_of_kind(const std::string& kind, const std::function<bool(const std::string&)>& fits) {
  const auto manifest = nlohmann::json::parse(test::read_text_file(golden_dir() + "/manifest.json"));
  for (auto it = manifest.begin(); it != manifest.end(); ++it) {
    if (it->value("kind", "") == kind && fits(it.key())) return it.key();
  }
  return {};
}

std::unique_ptr<pipeline::TextToVideo> build(const io::SafetensorsFile& io) {
  const std::int64_t text_dim = io.tensor("prompt_embeds").size(2);
  const std::int64_t channels = io.tensor("latents_init").size(1);
  const std::string dit_name = case_of_kind("dit", [&](const std::string& n) {
    const auto c = model::load_dit_config(golden_dir() + "/" + n + ".config.json");
    return c.text_dim == text_dim && c.in_dim == channels;
  });
  const std::string vae_name = case_of_kind("vae", [](const std::string&) { return true; });
  EXPECT_FALSE(dit_name.empty());
  EXPECT_FALSE(vae_name.empty());
  const auto dit_ckpt = io::Checkpoint::open(golden_dir() + "/" + dit_name + ".diffusers.safetensors");
  auto dit = model::WanDiT::load(dit_ckpt, io::detect_dit_dialect(dit_ckpt.keys(), dit_ckpt.source()),
                                 model::load_dit_config(golden_dir() + "/" + dit_name + ".config.json"));
  const auto vae_config = model::load_vae_config(golden_dir() + "/" + vae_name + ".config.json");
  const auto vae_ckpt = io::Checkpoint::open(golden_dir() + "/" + vae_name + ".diffusers.safetensors");
  auto vae = model::WanVAE::load(vae_ckpt, io::detect_vae_dialect(vae_ckpt.keys(), vae_config.num_res_blocks, vae_ckpt.source()),
                                 vae_config);
  return std::make_unique<pipeline::TextToVideo>(std::move(dit), std::move(vae), nullptr);
}

pipeline::GenerationSettings settings_of(const PipelineCase& c) {
  pipeline::GenerationSettings s;
  s.steps = c.spec.at("steps").get<int>();
  s.guidance = c.spec.at("guidance_scale").get<double>();
  s.shift = c.spec.at("flow_shift").get<double>();
  s.solver = sampling::SolverKind::UniPC;
  s.grid = sampling::SigmaGrid::Diffusers;
  return s;
}

}  // namespace

TEST(Pipeline, FinalLatentsAndVideoMatchReference) {
  const auto cases = pipeline_cases();
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const io::SafetensorsFile io(golden_dir() + "/" + c.name + ".io.safetensors");
    auto t2v = build(io);
    const auto result = t2v->sample(io.tensor("prompt_embeds"), io.tensor("negative_prompt_embeds"),
                                    io.tensor("latents_init"), settings_of(c));
    EXPECT_EQ(result.status, pipeline::Status::Completed);
    EXPECT_EQ(result.dit_forwards, 2 * settings_of(c).steps);
    EXPECT_LT(relative_error(result.latents, io.tensor("latents_final")), kTolerance);
    const at::Tensor video = t2v->decode(result.latents);  // [F, 3, H, W]
    const at::Tensor ref = io.tensor("video")[0];
    ASSERT_EQ(video.sizes(), ref.sizes());
    EXPECT_LT(relative_error(video, ref), kTolerance);
  }
}

TEST(Pipeline, CancelAfterStepKStopsWithinOneStep) {
  const auto c = pipeline_cases().front();
  const io::SafetensorsFile io(golden_dir() + "/" + c.name + ".io.safetensors");
  auto t2v = build(io);
  auto s = settings_of(c);
  s.steps = 10;
  pipeline::CancelToken token;
  pipeline::Callbacks cb;
  cb.cancel = &token;
  int seen = 0;
  cb.on_step = [&](const pipeline::StepProgress& p) {
    seen = p.step;
    EXPECT_EQ(p.total, 10);
    EXPECT_GE(p.eta_s, 0.0);
    if (p.step == 3) token.cancel();
  };
  const auto r = t2v->sample(io.tensor("prompt_embeds"), io.tensor("negative_prompt_embeds"), io.tensor("latents_init"), s, cb);
  EXPECT_EQ(r.status, pipeline::Status::Cancelled);
  EXPECT_EQ(r.steps_done, 3);
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(r.dit_forwards, 6);  // no forward ran after the cancel
}

TEST(Pipeline, PreviewIsCheapAndTracksTheLatent) {
  const auto c = pipeline_cases().front();
  const io::SafetensorsFile io(golden_dir() + "/" + c.name + ".io.safetensors");
  auto t2v = build(io);
  pipeline::Callbacks cb;
  int previews = 0;
  at::Tensor last;
  cb.on_preview = [&](const at::Tensor& rgb) {
    ++previews;
    last = rgb;
  };
  const auto r = t2v->sample(io.tensor("prompt_embeds"), io.tensor("negative_prompt_embeds"), io.tensor("latents_init"),
                             settings_of(c), cb);
  EXPECT_EQ(previews, settings_of(c).steps);
  const auto lat = io.tensor("latents_init");
  ASSERT_EQ(last.dim(), 4);
  EXPECT_EQ(last.size(0), lat.size(2));
  EXPECT_EQ(last.size(1), 3);
  EXPECT_GE(last.min().item<float>(), 0.0f);
  EXPECT_LE(last.max().item<float>(), 1.0f);
  // At the last step the estimate is the final latent itself.
  EXPECT_LT(relative_error(last, t2v->preview(r.latents)), 1e-5);
}

TEST(Pipeline, SizesAreValidatedAndNoiseIsDeterministic) {
  const auto c = pipeline_cases().front();
  const io::SafetensorsFile io(golden_dir() + "/" + c.name + ".io.safetensors");
  auto t2v = build(io);
  pipeline::GenerationSettings s;
  s.frames = 9, s.height = 32, s.width = 48, s.seed = 7;
  EXPECT_TRUE(at::equal(t2v->initial_noise(s), t2v->initial_noise(s)));
  s.seed = 8;
  const at::Tensor other = t2v->initial_noise(s);
  s.seed = 7;
  EXPECT_FALSE(at::equal(t2v->initial_noise(s), other));
  s.frames = 10;
  EXPECT_THROW(t2v->initial_noise(s), Error);
  s.frames = 9, s.height = 33;
  EXPECT_THROW(t2v->initial_noise(s), Error);
}
