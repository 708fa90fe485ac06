#include "core/media/atomic_output.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <system_error>

#include "core/error.h"

namespace fs = std::filesystem;

namespace linvideo::media {

AtomicOutput::AtomicOutput(std::string path) : path_(std::move(path)) {
  const fs::path target(path_);
  fs::path folder = target.parent_path();
  if (folder.empty()) folder = ".";
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw Error(path_ + ": folder '" + folder.string() + "' does not exist");
  }
  if (fs::is_directory(target, ec)) throw Error(path_ + ": is a folder, not a file");
  // Hidden, unique per process and call: concurrent writers never share a temporary.
  static std::atomic<unsigned> counter{0};
  temp_path_ = (folder / ("." + target.filename().string() + ".part-" + std::to_string(::getpid()) +
                          "-" + std::to_string(counter++)))
                   .string();
}

AtomicOutput::AtomicOutput(AtomicOutput&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      committed_(other.committed_) {
  other.committed_ = true;  // the moved-from object owns nothing
}

AtomicOutput::~AtomicOutput() {
  if (committed_) return;
  std::error_code ec;
  fs::remove(temp_path_, ec);
}

void AtomicOutput::commit() {
  std::error_code ec;
  fs::rename(temp_path_, path_, ec);
  if (ec) throw Error(path_ + ": cannot move the finished file into place: " + ec.message());
  committed_ = true;
}

}  // namespace linvideo::media
