#pragma once
// Reading and writing safetensors files as LibTorch tensors.
#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/io/format/safetensors_format.h"

namespace linvideo::io {

class MappedFile;

// One memory-mapped safetensors file. Tensors returned by tensor() alias the mapping when the dtype
// has a LibTorch equivalent and the data is aligned (zero-copy); they keep the mapping alive.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);  // throws linvideo::Error
  ~SafetensorsFile();

  const std::string& path() const { return path_; }
  const SafetensorsHeader& header() const { return header_; }
  const TensorEntry* find(const std::string& name) const;  // nullptr if absent
  bool contains(const std::string& name) const { return find(name) != nullptr; }

  // Tensor as stored. F8 types decode to float32 and U16/U32 widen (LibTorch 1.13 lacks them).
  at::Tensor tensor(const std::string& name) const;

 private:
  std::string path_;
  std::shared_ptr<MappedFile> map_;
  SafetensorsHeader header_;
  std::map<std::string, std::size_t> index_;
};

// Writes tensors (any device/dtype with a safetensors equivalent) atomically: a temporary file in
// the same folder is written, flushed and renamed over `path`.
void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Mapping between LibTorch scalar types and safetensors dtypes.
DType to_safetensors_dtype(at::ScalarType type, const std::string& tensor_name);

}  // namespace linvideo::io
