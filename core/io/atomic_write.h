#pragma once
// Replaces a small text file atomically (temporary file in the same folder, then rename), so a
// crash never leaves it half-written. Throws linvideo::Error naming the file.
#include <string>

namespace linvideo::io {
void write_text_atomically(const std::string& path, const std::string& text);
// The whole file as text; throws linvideo::Error naming the file when it cannot be read.
std::string read_text_file(const std::string& path);
}  // namespace linvideo::io
