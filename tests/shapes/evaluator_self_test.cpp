// The evaluator self-test of issue 4: the world's own ground-truth clips score >= 98 on every
// dimension, and corrupted clips lose on the dimension that was corrupted.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <random>

#include "core/error.h"
#include "core/media/video_io.h"
#include "core/shapes/render.h"
#include "core/shapes/report.h"

namespace linvideo::shapes {
namespace {

struct Minimum {
  std::array<double, kDimensionCount> dims;
  double total = 100;
  Minimum() { dims.fill(100.0); }
  void add(const ClipScore& s, const std::string& prompt, std::uint64_t seed) {
    for (Dimension d : kDimensions) {
      EXPECT_GE(s[d], 98.0) << to_string(d) << " for \"" << prompt << "\" seed " << seed;
      dims[static_cast<int>(d)] = std::min(dims[static_cast<int>(d)], s[d]);
    }
    total = std::min(total, s.total);
  }
  void print(const char* what) const {
    std::printf("[ minimum  ] %s: total %.2f", what, total);
    for (Dimension d : kDimensions)
      std::printf(", %s %.2f", to_string(d), dims[static_cast<int>(d)]);
    std::printf("\n");
  }
};

TEST(ShapesEval, GroundTruthScoresAtLeast98OnEveryOneObjectPrompt) {
  Minimum minimum;
  std::uint64_t seed = 0;
  for (const SceneSpec& s : all_one_object_scenes()) {
    minimum.add(score_clip(render_scene(s, seed), s), to_prompt(s), seed);
    ++seed;
  }
  minimum.print("540 one-object prompts");
}

TEST(ShapesEval, GroundTruthScoresAtLeast98OnTwoObjectPrompts) {
  Minimum minimum;
  for (std::uint64_t seed = 0; seed < 150; ++seed) {
    const SceneSpec s = sample_scene(1000 + seed, 1.0);
    minimum.add(score_clip(render_scene(s, seed), s), to_prompt(s), seed);
  }
  minimum.print("150 two-object prompts");
}

TEST(ShapesEval, GroundTruthScoresAtOtherSizesAndLengths) {
  Minimum minimum;
  for (auto [side, frames] : {std::pair{96, 17}, {160, 21}, {256, 33}}) {
    RenderOptions o;
    o.side = side;
    o.frames = frames;
    for (std::uint64_t seed = 0; seed < 30; ++seed) {
      const SceneSpec s = sample_scene(500 + seed);
      minimum.add(score_clip(render_scene(s, seed, o), s), to_prompt(s), seed);
    }
  }
  minimum.print("90 clips at 96/160/256 px");
}

// Clips usually arrive as H.264 files (4:2:0 chroma, CRF 18): still >= 98 everywhere.
TEST(ShapesEval, GroundTruthThroughMp4StillScoresAtLeast98) {
  if (!media::media_has_ffmpeg()) GTEST_SKIP() << "built without FFmpeg";
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("linvideo_shapes_" + std::to_string(::getpid()) + ".mp4"))
                               .string();
  Minimum minimum;
  for (std::uint64_t seed = 0; seed < 24; ++seed) {
    SceneSpec s = sample_scene(77 + seed);
    if (seed < 6) {  // the low-luma-contrast pairs
      s = parse_prompt(std::string("a large ") + (seed % 2 ? "magenta" : "green") + " " +
                       (seed < 2   ? "circle"
                        : seed < 4 ? "square"
                                   : "triangle") +
                       " moving left on a gray background");
    }
    media::write_video(path, render_scene(s, seed));
    minimum.add(score_clip(media::read_video(path).frames, s), to_prompt(s), seed);
  }
  std::filesystem::remove(path);
  minimum.print("24 clips through MP4");
}

// ---- the evaluator can fail ------------------------------------------------------------------

const char* kOne = "a large red square moving right on a black background";
const char* kTwo =
    "a small blue circle moving up and a large yellow triangle moving left on a gray background";

double score_of(const media::VideoFrames& clip, const std::string& prompt, Dimension d) {
  return score_clip(clip, parse_prompt(prompt))[d];
}

// Renders `rendered` and scores it against `expected`.
double mismatch(const std::string& rendered, const std::string& expected, Dimension d) {
  return score_of(render_scene(parse_prompt(rendered), 4), expected, d);
}

TEST(ShapesEval, WrongContentScoresLow) {
  EXPECT_LT(
      mismatch("a large blue square moving right on a black background", kOne, Dimension::Colour),
      10);
  EXPECT_LT(
      mismatch("a large red circle moving right on a black background", kOne, Dimension::Shape),
      10);
  EXPECT_LT(
      mismatch("a large red triangle moving right on a black background", kOne, Dimension::Shape),
      10);
  EXPECT_LT(mismatch("a large red square moving left on a black background", kOne,
                     Dimension::MotionDirection),
            10);
  EXPECT_LT(mismatch("a large red square moving up on a black background", kOne,
                     Dimension::MotionDirection),
            10);
  EXPECT_LT(mismatch("a large red square standing still on a black background", kOne,
                     Dimension::MotionDirection),
            10);
  EXPECT_LT(mismatch(kOne, "a large red square standing still on a black background",
                     Dimension::MotionDirection),
            10);
  EXPECT_LT(
      mismatch("a large red square moving right on a navy background", kOne, Dimension::Background),
      10);
  EXPECT_LT(mismatch(kOne, kTwo, Dimension::ObjectCount), 10);
  EXPECT_LT(
      mismatch(kTwo, "a small blue circle moving up on a gray background", Dimension::ObjectCount),
      10);
  // Two objects with their colours swapped: matched by colour, so the shapes are wrong.
  EXPECT_LT(mismatch("a small yellow circle moving up and a large blue triangle moving left on a "
                     "gray background",
                     kTwo, Dimension::Shape),
            10);
}

TEST(ShapesEval, BlankFramesCostCountColourShapeAndSmoothness) {
  for (const char* prompt : {kOne, kTwo}) {
    media::VideoFrames clip = render_scene(parse_prompt(prompt), 2);
    const std::uint8_t* corner = clip.frame(0);
    for (int t = 5; t < 12; ++t) {
      std::uint8_t* f = clip.frame(t);
      for (std::size_t i = 0; i < clip.frame_bytes(); ++i) f[i] = corner[i % 3];
    }
    const ClipScore s = score_clip(clip, parse_prompt(prompt));
    EXPECT_LT(s[Dimension::ObjectCount], 70) << prompt;
    EXPECT_LT(s[Dimension::Colour], 70) << prompt;
    EXPECT_LT(s[Dimension::Shape], 70) << prompt;
    EXPECT_LT(s[Dimension::SubjectConsistency], 85) << prompt;
    EXPECT_LT(s[Dimension::MotionSmoothness], 70) << prompt;
    EXPECT_LT(s.total, 85) << prompt;
  }
}

TEST(ShapesEval, NoiseAndBlurCostImagingQuality) {
  const SceneSpec scene = parse_prompt(kTwo);
  const media::VideoFrames clean = render_scene(scene, 9);
  media::VideoFrames noisy = clean, blurred = clean;
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0.0, 12.0);
  for (auto& v : noisy.rgb) v = cv::saturate_cast<std::uint8_t>(v + noise(rng));
  for (int t = 0; t < blurred.count; ++t) {
    cv::Mat m(blurred.height, blurred.width, CV_8UC3, blurred.frame(t));
    cv::GaussianBlur(m, m, cv::Size(0, 0), 1.5);
  }
  const ClipScore n = score_clip(noisy, scene), b = score_clip(blurred, scene);
  EXPECT_LT(n[Dimension::ImagingQuality], 75);
  EXPECT_LT(n[Dimension::TemporalFlicker], 75);
  EXPECT_LT(b[Dimension::ImagingQuality], 75);
  // Content is still recognisable: only the quality dimensions move.
  EXPECT_GE(n[Dimension::Colour], 95);
  EXPECT_GE(b[Dimension::Shape], 90);
}

TEST(ShapesEval, FlickerCostsTemporalFlicker) {
  const SceneSpec scene = parse_prompt("a small white circle standing still on a gray background");
  media::VideoFrames clip = render_scene(scene, 1);
  for (int t = 1; t < clip.count; t += 2) {
    std::uint8_t* f = clip.frame(t);
    for (std::size_t i = 0; i < clip.frame_bytes(); ++i)
      f[i] = cv::saturate_cast<std::uint8_t>(f[i] + 25);
  }
  const ClipScore s = score_clip(clip, scene);
  EXPECT_LT(s[Dimension::TemporalFlicker], 50);
  EXPECT_LT(s[Dimension::BackgroundConsistency], 90);
}

TEST(ShapesEval, JumpingAndShapeShiftingObjectsCostSmoothnessAndConsistency) {
  const SceneSpec still = parse_prompt("a large green square standing still on a navy background");
  const media::VideoFrames a = render_scene(still, 1), b = render_scene(still, 2);
  media::VideoFrames jumping = a;
  for (int t = 1; t < a.count; t += 2) {
    std::copy(b.frame(t), b.frame(t) + b.frame_bytes(), jumping.frame(t));
  }
  EXPECT_LT(score_clip(jumping, still)[Dimension::MotionSmoothness], 20);

  const SceneSpec circle = parse_prompt("a large green circle standing still on a navy background");
  const media::VideoFrames round = render_scene(circle, 1);  // same seed: same place
  media::VideoFrames shifting = a;
  for (int t = 1; t < a.count; t += 2) {
    std::copy(round.frame(t), round.frame(t) + round.frame_bytes(), shifting.frame(t));
  }
  const ClipScore s = score_clip(shifting, still);
  EXPECT_LT(s[Dimension::SubjectConsistency], 80);
  EXPECT_LT(s[Dimension::Shape], 60);
  EXPECT_GE(s[Dimension::MotionSmoothness], 98);
}

TEST(ShapesEval, BackgroundSwitchCostsBackgroundConsistency) {
  const SceneSpec scene = parse_prompt(kOne);
  media::VideoFrames clip = render_scene(scene, 5);
  const media::VideoFrames navy =
      render_scene(parse_prompt("a large red square moving right on a navy background"), 5);
  for (int t = 9; t < clip.count; ++t) {
    std::copy(navy.frame(t), navy.frame(t) + navy.frame_bytes(), clip.frame(t));
  }
  const ClipScore s = score_clip(clip, scene);
  EXPECT_LT(s[Dimension::BackgroundConsistency], 75);
  EXPECT_LT(s[Dimension::Background], 60);
}

TEST(ShapesEval, FidelityToAReference) {
  const SceneSpec scene = parse_prompt(kTwo);
  const media::VideoFrames a = render_scene(scene, 3), other = render_scene(scene, 4);
  const Fidelity same = fidelity(a, a);
  EXPECT_EQ(same.psnr, 100.0);
  EXPECT_NEAR(same.ssim, 1.0, 1e-9);
  const Fidelity diff = fidelity(a, other);
  EXPECT_LT(diff.psnr, 30);
  EXPECT_LT(diff.ssim, 0.95);
  RenderOptions small;
  small.side = 96;
  EXPECT_THROW(fidelity(a, render_scene(scene, 3, small), "ref.mkv"), Error);
}

TEST(ShapesEval, ReportHasTotalSplitsPromptsAndTable) {
  std::vector<ClipResult> results;
  const std::string held = "a small green circle moving left on a black background";
  for (const std::string& p : {std::string(kOne), held, held}) {
    ClipResult r;
    r.clip = "clip" + std::to_string(results.size()) + ".mkv";
    r.prompt = p;
    r.score = score_clip(render_scene(parse_prompt(p), results.size()), parse_prompt(p));
    if (results.empty()) r.fidelity = Fidelity{40.0, 0.9};
    results.push_back(r);
  }
  const nlohmann::json j = report_json(results);
  EXPECT_GE(j.at("total").get<double>(), 98.0);
  EXPECT_EQ(j.at("clips"), 3);
  EXPECT_EQ(j.at("dimensions").size(), std::size_t(kDimensionCount));
  EXPECT_EQ(j.at("splits").at("held_out_pair").at("clips"), 2);
  EXPECT_EQ(j.at("prompts").size(), 2u);
  EXPECT_EQ(j.at("results").at(1).at("objects").at(0).at("colour_seen"), "green");
  EXPECT_EQ(j.at("fidelity").at("psnr"), 40.0);
  const std::string table = report_table(results);
  EXPECT_NE(table.find("clip2.mkv"), std::string::npos);
  EXPECT_NE(table.find("mean all (3)"), std::string::npos);
}

TEST(ShapesEval, RejectsInconsistentClips) {
  media::VideoFrames bad;
  EXPECT_THROW(score_clip(bad, parse_prompt(kOne)), Error);
}

}  // namespace
}  // namespace linvideo::shapes
