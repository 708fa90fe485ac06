#pragma once
// Numbered image sequences: "dir/frame_%05d.png" with exactly one %d or %0Nd (FFmpeg's image2
// syntax, so FFmpeg reads the same pattern back).
#include <string>

namespace linvideo::media {

bool is_frame_pattern(const std::string& pattern);

// "dir/" or an existing folder not named like a video file -> "dir/frame_%05d.png"; a pattern
// stays as it is. Else "".
std::string png_pattern_for_path(const std::string& path);

// The file name of frame `index`; `pattern` must satisfy is_frame_pattern.
std::string frame_file_name(const std::string& pattern, int index);

}  // namespace linvideo::media
