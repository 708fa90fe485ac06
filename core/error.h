#pragma once
// Errors users can read: every failure in the engine is a linvideo::Error whose what() is a single
// line naming the file, tensor or option at fault. Front ends print it and exit non-zero.
#include <stdexcept>
#include <string>

namespace linvideo {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(flatten(message)) {}

 private:
  // A message must stay on one line even when it quotes user data (a key with a newline in it).
  static std::string flatten(std::string s) {
    for (char& c : s) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return s;
  }
};

}  // namespace linvideo
