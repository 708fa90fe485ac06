// MP4 (H.264), MKV (FFV1) and PNG sequences through FFmpeg; skipped in builds without it.
#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "core/media/generation_metadata.h"
#include "core/media/video_io.h"
#include "media_test_support.h"

namespace linvideo::media {
namespace {

using fixtures::make_noise_clip;
using fixtures::make_test_clip;
using fixtures::psnr;
using fixtures::run_command;
using fixtures::ScratchDir;

#define SKIP_WITHOUT_FFMPEG() \
  if (!media_has_ffmpeg()) GTEST_SKIP() << "this build has no FFmpeg"

GenerationSettings sample_settings() {
  GenerationSettings s;
  s.prompt = "a paper boat drifting down a rainy street";
  s.negative_prompt = "blurry";
  s.seed = 987654321;
  s.steps = 25;
  s.guidance = 6.0;
  s.shift = 8.0;
  s.sampler = "euler";
  s.model = "Wan2.1-T2V-1.3B";
  s.attention_modes = {"softmax", "linear", "linear", "mixed"};
  return s;
}

TEST(MediaMp4, RoundTripKeepsQualityFpsAndSettings) {
  SKIP_WITHOUT_FFMPEG();
  ScratchDir dir;
  const auto clip = make_test_clip(64, 48, 17);
  VideoWriteOptions options;
  options.metadata = generation_metadata(sample_settings());
  int progress_calls = 0;
  options.progress = [&](int done, int total) {
    EXPECT_EQ(total, 17);
    EXPECT_EQ(done, ++progress_calls);
    return true;
  };
  write_video(dir.file("clip.mp4"), clip, options);
  EXPECT_EQ(progress_calls, 17);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"clip.mp4"});

  const VideoFile file = read_video(dir.file("clip.mp4"));
  EXPECT_EQ(file.frames.width, 64);
  EXPECT_EQ(file.frames.height, 48);
  ASSERT_EQ(file.frames.count, 17);
  EXPECT_NEAR(file.frames.fps, 16.0, 1e-6);
  const double quality = psnr(clip.rgb, file.frames.rgb);
  EXPECT_GE(quality, 35.0);
  std::printf("MP4 crf 18 round trip PSNR: %.2f dB\n", quality);

  EXPECT_EQ(file.metadata.tags.at("prompt"), sample_settings().prompt);
  EXPECT_EQ(file.metadata.tags.at("seed"), "987654321");
  const GenerationSettings back =
      generation_settings_from_metadata(file.metadata, dir.file("clip.mp4"));
  EXPECT_EQ(back.attention_modes, sample_settings().attention_modes);
  EXPECT_EQ(back.seed, 987654321);
  EXPECT_DOUBLE_EQ(back.shift, 8.0);

  const VideoFile header = read_video_header(dir.file("clip.mp4"));
  EXPECT_EQ(header.frames.count, 17);
  EXPECT_TRUE(header.frames.rgb.empty());
  EXPECT_EQ(header.metadata.tags.at("seed"), "987654321");
}

TEST(MediaMp4, OddSizesArePaddedAndCroppedBack) {
  SKIP_WITHOUT_FFMPEG();
  ScratchDir dir;
  const auto clip = make_test_clip(33, 25, 5, 24.0);
  write_video(dir.file("odd.mp4"), clip);
  const VideoFile file = read_video(dir.file("odd.mp4"));
  EXPECT_EQ(file.frames.width, 33);
  EXPECT_EQ(file.frames.height, 25);
  ASSERT_EQ(file.frames.count, 5);
  EXPECT_NEAR(file.frames.fps, 24.0, 1e-6);
  EXPECT_GE(psnr(clip.rgb, file.frames.rgb), 35.0);
}

TEST(MediaMp4, TagsAreVisibleToFfprobe) {
  SKIP_WITHOUT_FFMPEG();
  if (!fixtures::have_ffprobe()) GTEST_SKIP() << "ffprobe is not installed";
  int exit_code = 0;
  ScratchDir dir;
  VideoWriteOptions options;
  options.metadata = generation_metadata(sample_settings());
  write_video(dir.file("tags.mp4"), make_test_clip(32, 32, 3), options);

  const std::string json = run_command(
      "ffprobe -v error -show_entries format_tags -of json '" + dir.file("tags.mp4") + "'",
      exit_code);
  ASSERT_EQ(exit_code, 0) << json;
  EXPECT_NE(json.find(sample_settings().prompt), std::string::npos) << json;
  EXPECT_NE(json.find("\"seed\": \"987654321\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"linvideo\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"attention_modes\": \"softmax,linear,linear,mixed\""), std::string::npos)
      << json;
}

TEST(MediaMkv, Ffv1RoundTripIsBitExact) {
  SKIP_WITHOUT_FFMPEG();
  ScratchDir dir;
  auto clip = make_noise_clip(31, 17, 4);
  clip.fps = 12.0;
  VideoWriteOptions options;
  options.metadata = generation_metadata(sample_settings());
  write_video(dir.file("lossless.mkv"), clip, options);
  const VideoFile file = read_video(dir.file("lossless.mkv"));
  EXPECT_EQ(file.frames.width, 31);
  EXPECT_EQ(file.frames.height, 17);
  EXPECT_EQ(file.frames.count, 4);
  EXPECT_NEAR(file.frames.fps, 12.0, 1e-6);
  EXPECT_TRUE(file.frames.rgb == clip.rgb) << "FFV1 in gbrp must be exact";
  EXPECT_EQ(generation_settings_from_metadata(file.metadata, "lossless.mkv").prompt,
            sample_settings().prompt);
}

TEST(MediaPng, FrameSequenceRoundTripIsBitExact) {
  SKIP_WITHOUT_FFMPEG();
  ScratchDir dir;
  const auto clip = make_noise_clip(9, 7, 3);
  write_video(dir.file("f_%03d.png"), clip);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"f_000.png", "f_001.png", "f_002.png"}));
  const VideoFile file = read_video(dir.file("f_%03d.png"));
  EXPECT_EQ(file.frames.count, 3);
  EXPECT_TRUE(file.frames.rgb == clip.rgb);

  // A folder gets frame_%05d.png.
  std::filesystem::create_directory(dir.path() / "frames");
  write_video(dir.file("frames"), clip);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "frames" / "frame_00002.png"));
  EXPECT_TRUE(read_video(dir.file("frames")).frames.rgb == clip.rgb);
}

TEST(MediaMp4, GarbageAndNonVideoFilesAreErrors) {
  SKIP_WITHOUT_FFMPEG();
  ScratchDir dir;
  std::ofstream(dir.file("garbage.mp4"), std::ios::binary) << std::string(4096, '\x5a');
  std::ofstream(dir.file("text.mkv")) << "this is not a video\n";
  std::ofstream(dir.file("empty.mp4")) << "";
  for (const char* name : {"garbage.mp4", "text.mkv", "empty.mp4"}) {
    try {
      read_video(dir.file(name));
      ADD_FAILURE() << "no error for " << name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace linvideo::media
