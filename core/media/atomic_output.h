#pragma once
// A temporary file beside the target that becomes the target only on commit(), so a failed or
// cancelled write never leaves a half-written video (or replaces a good one).
#include <string>

namespace linvideo::media {

class AtomicOutput {
 public:
  // Throws linvideo::Error when the folder of `path` does not exist or `path` is a folder.
  explicit AtomicOutput(std::string path);
  ~AtomicOutput();  // removes the temporary file unless committed
  AtomicOutput(AtomicOutput&& other) noexcept;
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  AtomicOutput& operator=(AtomicOutput&&) = delete;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

  void commit();  // renames the temporary over the target; throws linvideo::Error

 private:
  std::string path_;
  std::string temp_path_;
  bool committed_ = false;
};

}  // namespace linvideo::media
