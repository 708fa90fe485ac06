// The trainers' ATen rasteriser of the shapes world: deterministic, held-out free, and its
// foreground mask marks exactly the object pixels (the VAE's loss weights depend on it).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/shapes/world.h"
#include "core/train/pretrain.h"
#include "core/train/shapes_batch.h"

using namespace linvideo;

namespace {
train::ShapesBatchOptions small() {
  train::ShapesBatchOptions o;
  o.side = 96;
  return o;
}
at::Tensor colour_of(const shapes::Rgb& c) {
  return at::tensor({c.r / 127.5 - 1.0, c.g / 127.5 - 1.0, c.b / 127.5 - 1.0}).to(at::kFloat).view({3, 1, 1, 1});
}
}  // namespace

TEST(ShapesBatch, SameIndexSameBatchAndNoHeldOutPrompts) {
  const auto a = train::make_shapes_batch(16, 5, 3, small(), at::kCPU);
  const auto b = train::make_shapes_batch(16, 5, 3, small(), at::kCPU);
  const auto c = train::make_shapes_batch(16, 5, 4, small(), at::kCPU);
  EXPECT_TRUE(at::equal(a.video, b.video));
  EXPECT_EQ(a.prompts, b.prompts);
  EXPECT_FALSE(at::equal(a.video, c.video));
  EXPECT_EQ(a.video.sizes(), (std::vector<std::int64_t>{16, 3, 17, 96, 96}));
  for (const auto& p : a.prompts) EXPECT_FALSE(shapes::is_held_out(shapes::parse_prompt(p))) << p;

  auto with = small();
  with.include_held_out = true;  // the VAE's stream: held-out prompts do occur there
  int held_out = 0;
  for (const auto& p : train::make_shapes_batch(64, 5, 3, with, at::kCPU).prompts) {
    held_out += shapes::is_held_out(shapes::parse_prompt(p));
  }
  EXPECT_GT(held_out, 0);
}

TEST(ShapesBatch, ForegroundMaskMarksExactlyTheObjects) {
  const auto b = train::make_shapes_batch(8, 11, 0, small(), at::kCPU);
  ASSERT_EQ(b.foreground.sizes(), (std::vector<std::int64_t>{8, 1, 17, 96, 96}));
  EXPECT_GE(b.foreground.min().item<double>(), 0.0);
  EXPECT_LE(b.foreground.max().item<double>(), 1.0);
  for (int i = 0; i < 8; ++i) {
    const shapes::SceneSpec scene = shapes::parse_prompt(b.prompts[static_cast<std::size_t>(i)]);
    const at::Tensor video = b.video[i], fg = b.foreground[i];
    // Background where the mask is empty, one of the objects' colours where it is full.
    const at::Tensor bg_error = ((video - colour_of(shapes::palette(scene.background))).abs() * (fg == 0)).max();
    EXPECT_LT(bg_error.item<double>(), 1e-5) << b.prompts[static_cast<std::size_t>(i)];
    at::Tensor object_error = at::full({1, 17, 96, 96}, 1e9);
    for (const auto& o : scene.objects) {
      object_error = at::minimum(object_error, (video - colour_of(shapes::palette(o.colour))).abs().amax(0, true));
    }
    EXPECT_LT((object_error * (fg == 1)).max().item<double>(), 1e-5) << b.prompts[static_cast<std::size_t>(i)];
    const double covered = (fg > 0).to(at::kFloat).mean().item<double>();
    EXPECT_GT(covered, 0.001);
    EXPECT_LT(covered, 0.3);
  }
}

TEST(ShapesTrainers, RejectBadWindowAndWeightOptions) {
  train::RunOptions run;
  run.dir = "unused";
  run.device = "cpu";
  run.clip_frames = 6;
  try {
    train::pretrain_vae(run, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--clip-frames"), std::string::npos) << e.what();
  }
  run.clip_frames = 9;
  run.foreground_weight = -1;
  EXPECT_THROW(train::pretrain_vae(run, {}), Error);
}
