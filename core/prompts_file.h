#pragma once
// Prompts files: one prompt per line; trailing spaces and CR dropped, blank lines skipped. Every
// command that takes --prompts FILE, and the studio, read them here.
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace linvideo {

// Whether s is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
inline bool is_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned cp = 0, min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// Bounds: a prompts file is text, not a way to exhaust memory.
constexpr std::size_t kMaxPromptBytes = 16 * 1024;
constexpr std::size_t kMaxPrompts = 1000000;

inline std::vector<std::string> read_prompt_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open prompts file");
  std::vector<std::string> prompts;
  std::size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    const std::string where = path + ": line " + std::to_string(number);
    if (line.size() > kMaxPromptBytes) throw Error(where + " is over " + std::to_string(kMaxPromptBytes) + " bytes");
    if (line.find('\0') != std::string::npos || !is_utf8(line)) throw Error(where + " is not UTF-8 text");
    if (prompts.size() == kMaxPrompts) throw Error(path + ": more than " + std::to_string(kMaxPrompts) + " prompts");
    prompts.push_back(line);
  }
  if (prompts.empty()) throw Error(path + ": prompts file has no prompts");
  return prompts;
}

}  // namespace linvideo
