#include "core/media/frame_pattern.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace linvideo::media {
namespace {

// Position and length of the single "%d"/"%0Nd" in `pattern`, or npos.
struct NumberField {
  std::size_t begin = std::string::npos;
  std::size_t length = 0;
  int width = 0;
};

NumberField find_number_field(const std::string& pattern) {
  NumberField field;
  int fields = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') continue;
    std::size_t j = i + 1;
    int width = 0;
    while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j])) &&
           width < 100) {
      width = width * 10 + (pattern[j] - '0');
      ++j;
    }
    if (j >= pattern.size() || pattern[j] != 'd' || width > 9) return {};  // only %d forms
    field = {i, j + 1 - i, width};
    ++fields;
    i = j;
  }
  return fields == 1 ? field : NumberField{};
}

bool ends_with_png(const std::string& path) {
  if (path.size() < 4) return false;
  std::string tail = path.substr(path.size() - 4);
  for (char& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return tail == ".png";
}

}  // namespace

bool is_frame_pattern(const std::string& pattern) {
  return ends_with_png(pattern) && find_number_field(pattern).begin != std::string::npos;
}

std::string png_pattern_for_path(const std::string& path) {
  if (is_frame_pattern(path)) return path;
  // A folder named like a video file ("clip.mp4/") is in the way of that file, not a target.
  std::string extension = std::filesystem::path(path).extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool video_name = extension == ".mp4" || extension == ".mkv" || extension == ".y4m";
  std::error_code ec;
  if (!path.empty() &&
      (path.back() == '/' || (!video_name && std::filesystem::is_directory(path, ec)))) {
    return (std::filesystem::path(path) / "frame_%05d.png").string();
  }
  return "";
}

std::string frame_file_name(const std::string& pattern, int index) {
  const NumberField field = find_number_field(pattern);
  char number[32];
  std::snprintf(number, sizeof number, "%0*d", field.width, index);
  return pattern.substr(0, field.begin) + number + pattern.substr(field.begin + field.length);
}

}  // namespace linvideo::media
