// Bad requests fail with a message naming the path, and a failed write leaves nothing behind.
#include <fstream>

#include "core/error.h"
#include "core/media/video_io.h"
#include "media_test_support.h"

namespace linvideo::media {
namespace {

using fixtures::make_test_clip;
using fixtures::ScratchDir;

// Runs `call`, expecting a linvideo::Error whose message contains every needle.
template <typename Call>
void expect_error(Call&& call, std::initializer_list<std::string> needles) {
  try {
    call();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos);
    for (const auto& needle : needles) {
      EXPECT_NE(message.find(needle), std::string::npos) << message << " lacks " << needle;
    }
  }
}

TEST(MediaErrors, MissingFileNamesIt) {
  ScratchDir dir;
  expect_error([&] { read_video(dir.file("missing.mp4")); }, {"missing.mp4", "no such file"});
  expect_error([&] { read_video(dir.file("missing.y4m")); }, {"missing.y4m"});
}

TEST(MediaErrors, BadFramesAreRejectedBeforeAnythingIsWritten) {
  ScratchDir dir;
  const std::string path = dir.file("bad.y4m");
  VideoFrames empty = make_test_clip(8, 8, 1);
  empty.count = 0;
  empty.rgb.clear();
  expect_error([&] { write_video(path, empty); }, {"bad.y4m", "no frames"});

  VideoFrames short_buffer = make_test_clip(8, 8, 2);
  short_buffer.rgb.pop_back();
  expect_error([&] { write_video(path, short_buffer); }, {"bad.y4m", "bytes"});

  VideoFrames zero_width = make_test_clip(8, 8, 1);
  zero_width.width = 0;
  expect_error([&] { write_video(path, zero_width); }, {"bad.y4m", "0x8"});

  VideoFrames bad_fps = make_test_clip(8, 8, 1);
  bad_fps.fps = 0.0;
  expect_error([&] { write_video(path, bad_fps); }, {"bad.y4m", "fps"});

  VideoWriteOptions bad_crf;
  bad_crf.crf = 60;
  expect_error([&] { write_video(path, make_test_clip(8, 8, 1), bad_crf); }, {"bad.y4m", "crf"});
  EXPECT_TRUE(dir.entries().empty());
}

TEST(MediaErrors, UnknownExtensionsAndMissingFolders) {
  ScratchDir dir;
  const auto clip = make_test_clip(8, 8, 1);
  expect_error([&] { write_video(dir.file("clip.avi"), clip); }, {"clip.avi", ".avi"});
  expect_error([&] { write_video(dir.file("still.png"), clip); }, {"still.png", "pattern"});
  expect_error([&] { write_video(dir.file("no/such/folder/clip.y4m"), clip); },
               {"clip.y4m", "does not exist"});
  EXPECT_TRUE(dir.entries().empty());
}

TEST(MediaErrors, NoFfmpegBuildsSayHowToWriteInstead) {
  if (media_has_ffmpeg()) GTEST_SKIP() << "this build has FFmpeg";
  ScratchDir dir;
  expect_error([&] { write_video(dir.file("clip.mp4"), make_test_clip(8, 8, 1)); },
               {"clip.mp4", "no FFmpeg", ".y4m"});
}

// Cancels after `frames` frames, so the failure happens mid-write with a temporary on disk.
VideoWriteOptions cancel_after(int frames) {
  VideoWriteOptions options;
  options.progress = [frames](int done, int) { return done < frames; };
  return options;
}

TEST(MediaAtomicWrite, CancelledWriteLeavesNoFileAndKeepsTheOldOne) {
  ScratchDir dir;
  const auto clip = make_test_clip(32, 24, 9);
  std::vector<std::string> names = {"clip.y4m"};
  if (media_has_ffmpeg()) {
    names.insert(names.end(), {"clip.mp4", "clip.mkv", "frame_%03d.png"});
  }
  for (const auto& name : names) {
    expect_error([&] { write_video(dir.file(name), clip, cancel_after(4)); }, {name, "cancelled"});
    EXPECT_TRUE(dir.entries().empty()) << name << " left " << dir.entries().front();
  }

  // A failed rewrite must not damage the previous good file.
  write_video(dir.file("clip.y4m"), clip);
  const auto before = read_video(dir.file("clip.y4m")).frames.rgb;
  expect_error(
      [&] { write_video(dir.file("clip.y4m"), make_test_clip(16, 16, 3), cancel_after(2)); },
      {"cancelled"});
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"clip.y4m"});
  EXPECT_TRUE(read_video(dir.file("clip.y4m")).frames.rgb == before);
}

TEST(MediaAtomicWrite, TargetThatIsAFolderIsAnError) {
  ScratchDir dir;
  std::filesystem::create_directory(dir.path() / "taken.y4m");
  expect_error([&] { write_video(dir.file("taken.y4m"), make_test_clip(8, 8, 1)); },
               {"taken.y4m", "folder"});
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"taken.y4m"});
}

}  // namespace
}  // namespace linvideo::media
