#pragma once
// Deletes a file or a whole folder tree (like `rm -rf`); a missing path is not an error.
//
// Why not std::filesystem::remove_all: in binaries linked against the LibTorch 2.11 wheel on the
// GPU machine, remove_all crashed (SIGSEGV) while every other std::filesystem call worked, most
// likely through a libstdc++ symbol clash with the wheel. POSIX nftw() has no such dependency.
#include <string>

namespace linvideo {
// Returns false if something could not be removed.
bool remove_tree(const std::string& path);
}  // namespace linvideo
