// Y4M: the writer and reader that work in every build.
#include <fstream>

#include "core/error.h"
#include "core/media/video_io.h"
#include "media_test_support.h"

namespace linvideo::media {
namespace {

using fixtures::make_noise_clip;
using fixtures::make_test_clip;
using fixtures::max_abs_difference;
using fixtures::psnr;
using fixtures::ScratchDir;

TEST(MediaY4m, RoundTripIsNearLossless) {
  ScratchDir dir;
  const auto clip = make_test_clip(64, 48, 17);
  VideoWriteOptions options;
  options.metadata.tags["prompt"] = "Y4M has no room for tags; they are dropped";
  write_video(dir.file("clip.y4m"), clip, options);

  const VideoFile file = read_video(dir.file("clip.y4m"));
  EXPECT_EQ(file.frames.width, 64);
  EXPECT_EQ(file.frames.height, 48);
  EXPECT_EQ(file.frames.count, 17);
  EXPECT_DOUBLE_EQ(file.frames.fps, 16.0);
  EXPECT_GE(psnr(clip.rgb, file.frames.rgb), 45.0);
  EXPECT_LE(max_abs_difference(clip.rgb, file.frames.rgb), 3);
  EXPECT_TRUE(file.metadata.tags.empty());
}

TEST(MediaY4m, OtherToolsReadOurFiles) {
  if (!fixtures::have_ffprobe()) GTEST_SKIP() << "ffprobe is not installed";
  ScratchDir dir;
  auto clip = make_test_clip(kMaxVideoSide, 2, 1);  // the longest header we write
  clip.fps = 1234.5 / 100.0;
  write_video(dir.file("wide.y4m"), clip);
  int exit_code = 0;
  const std::string out = fixtures::run_command(
      "ffprobe -v error -count_frames -show_entries stream=width,height,nb_read_frames,pix_fmt "
      "-of compact '" +
          dir.file("wide.y4m") + "' 2>&1",
      exit_code);
  EXPECT_EQ(exit_code, 0) << out;
  EXPECT_NE(out.find("width=16384|height=2|pix_fmt=yuv444p|nb_read_frames=1"), std::string::npos)
      << out;
}

TEST(MediaY4m, NoiseAndOddSizesSurviveWithinRounding) {
  ScratchDir dir;
  auto clip = make_noise_clip(7, 5, 3);
  clip.fps = 30000.0 / 1001.0;
  write_video(dir.file("noise.y4m"), clip);
  const VideoFile file = read_video(dir.file("noise.y4m"));
  EXPECT_EQ(file.frames.width, 7);
  EXPECT_EQ(file.frames.height, 5);
  EXPECT_EQ(file.frames.count, 3);
  EXPECT_NEAR(file.frames.fps, 29.97, 0.001);
  // Saturated noise leaves the RGB cube after rounding, so allow a little more here.
  EXPECT_LE(max_abs_difference(clip.rgb, file.frames.rgb), 4);
}

TEST(MediaY4m, HeaderOnlyReadSkipsFrames) {
  ScratchDir dir;
  write_video(dir.file("clip.y4m"), make_test_clip(16, 8, 2));
  const VideoFile header = read_video_header(dir.file("clip.y4m"));
  EXPECT_EQ(header.frames.width, 16);
  EXPECT_EQ(header.frames.height, 8);
  EXPECT_TRUE(header.frames.rgb.empty());
}

TEST(MediaY4m, ReadsFourTwoZeroLimitedRangeFromOtherTools) {
  ScratchDir dir;
  // 4x2, C420: mid-grey luma (limited 16..235 -> 126 is ~ 128 full), neutral chroma.
  std::ofstream out(dir.file("grey.y4m"), std::ios::binary);
  out << "YUV4MPEG2 W4 H2 F25:1 Ip A0:0 C420jpeg\nFRAME\n";
  out << std::string(8, char(126)) << std::string(2, char(128)) << std::string(2, char(128));
  out.close();
  const VideoFile file = read_video(dir.file("grey.y4m"));
  ASSERT_EQ(file.frames.count, 1);
  EXPECT_DOUBLE_EQ(file.frames.fps, 25.0);
  for (const auto value : file.frames.rgb) EXPECT_NEAR(int(value), 128, 1);
}

TEST(MediaY4m, RejectsMalformedFiles) {
  ScratchDir dir;
  auto write_raw = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir.file(name), std::ios::binary) << bytes;
    return dir.file(name);
  };
  const std::string cases[] = {
      write_raw("truncated.y4m", "YUV4MPEG2 W4 H2 F25:1 C444\nFRAME\nabc"),
      write_raw("no_size.y4m", "YUV4MPEG2 F25:1 C444\nFRAME\n"),
      write_raw("huge.y4m", "YUV4MPEG2 W16384 H16384 F25:1 C444\nFRAME\n"),
      write_raw("ten_bit.y4m", "YUV4MPEG2 W2 H2 C420p10\nFRAME\n0123456789012345"),
      write_raw("bad_rate.y4m", "YUV4MPEG2 W2 H2 F0:0\nFRAME\n012345"),
      write_raw("no_frames.y4m", "YUV4MPEG2 W2 H2 F25:1 C444\n"),
      write_raw("bad_marker.y4m", "YUV4MPEG2 W2 H2 F25:1 C444\nFRAMX\n012345678901"),
  };
  for (const auto& path : cases) {
    try {
      read_video(path);
      ADD_FAILURE() << "no error for " << path;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace linvideo::media
