#pragma once
// Prompts files: one prompt per line; trailing spaces and CR dropped, blank lines skipped. Every
// command that takes --prompts FILE, and the studio, read them here.
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace linvideo::io {

inline std::vector<std::string> read_prompt_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open prompts file");
  std::vector<std::string> prompts;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) prompts.push_back(line);
  }
  if (prompts.empty()) throw Error(path + ": prompts file has no prompts");
  return prompts;
}

}  // namespace linvideo::io
