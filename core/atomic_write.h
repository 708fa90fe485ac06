#pragma once
// Replaces a small text file atomically (temporary file in the same folder, then rename), so a
// crash never leaves it half-written. Throws linvideo::Error naming the file.
#include <functional>
#include <iosfwd>
#include <string>

namespace linvideo {
// Writes `path` atomically and durably: `write` fills a temporary file with a unique name in the
// same folder (so two writers of one path never share it); the file is flushed and fsynced,
// renamed over `path`, and the folder fsynced, so neither a crash nor a power loss leaves a
// half-written `path`. Throws linvideo::Error naming `path`; the temporary file is removed.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);
void write_text_atomically(const std::string& path, const std::string& text);
// The whole file as text; throws linvideo::Error naming the file when it cannot be read.
std::string read_text_file(const std::string& path);
}  // namespace linvideo
