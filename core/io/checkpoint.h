#pragma once
// A checkpoint as a set of safetensors files: one file, a sharded set behind an *.index.json, or a
// model folder (original Wan, diffusers `transformer/`, or a single ComfyUI file). A torch.save
// file (`.pth`, as the original Wan T5 and VAE ship) is read into memory and served the same way.
#include <ATen/core/Tensor.h>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/io/safetensors.h"

namespace linvideo::io {

class Checkpoint {
 public:
  // Resolves `path` (file, index, or folder) and maps every file. Throws linvideo::Error.
  static Checkpoint open(const std::string& path);

  const std::string& source() const { return source_; }
  // Folder the weights live in (where a config.json would be).
  const std::string& folder() const { return folder_; }
  const std::vector<std::string>& keys() const { return keys_; }
  bool contains(const std::string& key) const;
  const TensorEntry& entry(const std::string& key) const;     // throws if absent
  const std::string& file_of(const std::string& key) const;   // throws if absent
  at::Tensor tensor(const std::string& key) const;            // zero-copy where possible
  std::vector<std::string> files() const;
  std::uint64_t total_bytes() const;

 private:
  static constexpr std::size_t kInMemory = static_cast<std::size_t>(-1);
  struct Location {
    std::size_t file;  // index into files_, or kInMemory
    const TensorEntry* entry;
  };
  struct InMemory {
    std::string path;
    std::deque<TensorEntry> entries;  // stable addresses
    std::map<std::string, at::Tensor> tensors;
  };
  const std::string& path_of(std::size_t file) const;
  const Location& locate(const std::string& key) const;

  std::string source_;
  std::string folder_;
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::shared_ptr<InMemory> memory_;
  std::vector<std::string> keys_;
  std::vector<std::pair<std::string, Location>> index_;  // sorted by key
};

}  // namespace linvideo::io
