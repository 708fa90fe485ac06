#include "core/media/y4m.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "core/error.h"

namespace linvideo::media {
namespace {

constexpr const char* kMagic = "YUV4MPEG2 ";
constexpr std::size_t kMaxLine = 4096;  // header and FRAME lines (FFmpeg allows 80 bytes)

std::uint8_t clamp_byte(float v) {
  return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0f, 255.0f)));
}

// Frame rate as the integer ratio Y4M needs: 16 -> 16:1, 29.97... -> 30000:1001.
std::pair<long, long> fps_ratio(double fps) {
  for (const long den : {1L, 1001L, 1000L, 100000L}) {
    const double num = fps * den;
    if (std::fabs(num - std::round(num)) < 1e-6 * den || den == 100000L) {
      const long n = std::lround(num);
      const long g = std::gcd(n, den);
      return {n / g, den / g};
    }
  }
  return {16, 1};
}

// Reads up to '\n' (not stored). False at a clean end of file; throws when the line is too long.
bool read_line(std::istream& in, std::string& line, const std::string& path) {
  line.clear();
  char c;
  while (in.get(c)) {
    if (c == '\n') return true;
    if (line.size() >= kMaxLine) throw Error(path + ": Y4M header line longer than 4096 bytes");
    line += c;
  }
  return !line.empty();
}

enum class Chroma { C420, C422, C444, Mono };

struct Header {
  int width = 0;
  int height = 0;
  double fps = 0.0;
  Chroma chroma = Chroma::C420;
  bool full_range = false;
};

int parse_side(const std::string& value, const std::string& path, const char* what) {
  char* end = nullptr;
  const long side = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || side < 1 || side > kMaxVideoSide) {
    throw Error(path + ": Y4M " + what + " '" + value + "' is outside 1.." +
                std::to_string(kMaxVideoSide));
  }
  return static_cast<int>(side);
}

Header parse_header(const std::string& line, const std::string& path) {
  if (line.compare(0, std::strlen(kMagic), kMagic) != 0) {
    throw Error(path + ": not a Y4M file (no YUV4MPEG2 signature)");
  }
  Header header;
  std::istringstream tokens(line.substr(std::strlen(kMagic)));
  std::string token;
  while (tokens >> token) {
    const char key = token[0];
    const std::string value = token.substr(1);
    if (key == 'W') {
      header.width = parse_side(value, path, "width");
    } else if (key == 'H') {
      header.height = parse_side(value, path, "height");
    } else if (key == 'F') {
      long num = 0, den = 0;
      if (std::sscanf(value.c_str(), "%ld:%ld", &num, &den) != 2 || num <= 0 || den <= 0) {
        throw Error(path + ": Y4M frame rate '" + value + "' is not N:D");
      }
      header.fps = double(num) / double(den);
    } else if (key == 'C') {
      if (value == "420" || value == "420jpeg" || value == "420mpeg2" || value == "420paldv") {
        header.chroma = Chroma::C420;  // 420, 420jpeg, 420mpeg2, 420paldv: siting is ignored
      } else if (value == "422") {
        header.chroma = Chroma::C422;
      } else if (value == "444") {
        header.chroma = Chroma::C444;
      } else if (value == "mono") {
        header.chroma = Chroma::Mono;
      } else {
        throw Error(path + ": Y4M colour space 'C" + value + "' is not supported (8-bit only)");
      }
    } else if (token == "XCOLORRANGE=FULL") {
      header.full_range = true;
    }
  }
  if (header.width == 0 || header.height == 0) throw Error(path + ": Y4M header lacks W or H");
  if (header.fps == 0.0) header.fps = 16.0;
  return header;
}

}  // namespace

void write_y4m(const std::string& file_path, const std::string& display_path,
               const VideoFrames& frames, const VideoWriteOptions& options) {
  std::ofstream out(file_path, std::ios::binary);
  if (!out) throw Error(display_path + ": cannot create file");
  const auto [num, den] = fps_ratio(frames.fps);
  out << kMagic << 'W' << frames.width << " H" << frames.height << " F" << num << ':' << den
      << " Ip A1:1 C444 XCOLORRANGE=FULL\n";

  const std::size_t plane = std::size_t(frames.width) * frames.height;
  std::vector<std::uint8_t> yuv(plane * 3);
  for (int f = 0; f < frames.count; ++f) {
    const std::uint8_t* rgb = frames.frame(f);
    for (std::size_t i = 0; i < plane; ++i) {
      const float r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
      yuv[i] = clamp_byte(0.299f * r + 0.587f * g + 0.114f * b);
      yuv[plane + i] = clamp_byte(128.0f - 0.168736f * r - 0.331264f * g + 0.5f * b);
      yuv[2 * plane + i] = clamp_byte(128.0f + 0.5f * r - 0.418688f * g - 0.081312f * b);
    }
    out << "FRAME\n";
    out.write(reinterpret_cast<const char*>(yuv.data()), std::streamsize(yuv.size()));
    if (!out) throw Error(display_path + ": write failed (disk full?)");
    if (options.progress && !options.progress(f + 1, frames.count)) {
      throw Error(display_path + ": write cancelled");
    }
  }
  out.close();
  if (!out) throw Error(display_path + ": write failed (disk full?)");
}

bool starts_like_y4m(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[10] = {};
  return in.read(magic, sizeof magic) && std::memcmp(magic, kMagic, sizeof magic) == 0;
}

VideoFile read_y4m(const std::string& path, bool decode_frames) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open file");
  if (!starts_like_y4m(path)) throw Error(path + ": not a Y4M file (no YUV4MPEG2 signature)");
  std::string line;
  if (!read_line(in, line, path)) throw Error(path + ": empty file, not a Y4M video");
  const Header header = parse_header(line, path);

  VideoFile file;
  VideoFrames& frames = file.frames;
  frames.width = header.width;
  frames.height = header.height;
  frames.fps = header.fps;
  if (!decode_frames) return file;

  const int w = header.width, h = header.height;
  const int cw = header.chroma == Chroma::C444 ? w : (w + 1) / 2;
  const int ch = header.chroma == Chroma::C420 ? (h + 1) / 2 : h;
  const int shift_x = header.chroma == Chroma::C444 ? 0 : 1;
  const int shift_y = header.chroma == Chroma::C420 ? 1 : 0;
  const std::size_t luma = std::size_t(w) * h;
  const std::size_t chroma = header.chroma == Chroma::Mono ? 0 : std::size_t(cw) * ch;
  // Check the size before allocating: a forged header must not make us reserve gigabytes.
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path, ec);
  if (ec || file_size < line.size() + 1 + 6 + luma + 2 * chroma) {
    throw Error(path + ": Y4M file is shorter than one " + std::to_string(w) + "x" +
                std::to_string(h) + " frame");
  }
  std::vector<std::uint8_t> yuv(luma + 2 * chroma);

  // Full range: the JPEG matrix as written; limited: expand 16..235 / 16..240 first.
  const float y_scale = header.full_range ? 1.0f : 255.0f / 219.0f;
  const float y_offset = header.full_range ? 0.0f : 16.0f;
  const float c_scale = header.full_range ? 1.0f : 255.0f / 224.0f;

  while (read_line(in, line, path)) {
    if (line.rfind("FRAME", 0) != 0) {
      throw Error(path + ": frame " + std::to_string(frames.count) + " lacks its FRAME marker");
    }
    if (!in.read(reinterpret_cast<char*>(yuv.data()), std::streamsize(yuv.size()))) {
      throw Error(path + ": frame " + std::to_string(frames.count) + " is truncated");
    }
    frames.rgb.resize(frames.rgb.size() + luma * 3);
    std::uint8_t* rgb = frames.rgb.data() + frames.rgb.size() - luma * 3;
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const float Y = (yuv[std::size_t(y) * w + x] - y_offset) * y_scale;
        float cb = 0.0f, cr = 0.0f;
        if (chroma) {
          const std::size_t c = std::size_t(y >> shift_y) * cw + (x >> shift_x);
          cb = (yuv[luma + c] - 128.0f) * c_scale;
          cr = (yuv[luma + chroma + c] - 128.0f) * c_scale;
        }
        std::uint8_t* px = rgb + (std::size_t(y) * w + x) * 3;
        px[0] = clamp_byte(Y + 1.402f * cr);
        px[1] = clamp_byte(Y - 0.344136f * cb - 0.714136f * cr);
        px[2] = clamp_byte(Y + 1.772f * cb);
      }
    }
    ++frames.count;
  }
  if (frames.count == 0) throw Error(path + ": Y4M file holds no frames");
  return file;
}

}  // namespace linvideo::media
