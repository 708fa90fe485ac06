#pragma once
// torch.save archives (the zip format of torch >= 1.6), read without LibTorch (issue 18).
//
// An archive is a zip of stored (uncompressed) entries: `<prefix>/data.pkl`, a pickle of the state
// dict in which every tensor is a call of torch._utils._rebuild_tensor_v2 on a storage named by a
// persistent id, and `<prefix>/data/<key>`, the bytes of each storage. This parser walks the zip's
// central directory and runs the pickle on a small, closed machine: values live in one flat arena
// (nothing is built recursively, nothing is destroyed recursively), only the callables a state dict
// needs are understood, and every count, length, offset, size and stride is checked against what
// the file holds. Plain bytes in, a list of tensor records out; the caller reads the storages.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/io/format/safetensors_format.h"  // DType

namespace linvideo::io {

// Where one stored zip entry's bytes lie in the file.
struct ArchiveSpan {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

struct TorchTensorRecord {
  std::string name;  // the keys of the nested dicts joined with '.'
  DType dtype = DType::F32;
  std::string storage;                // key of the storage (the entry `<prefix>/data/<key>`)
  std::int64_t storage_offset = 0;    // in elements
  std::vector<std::int64_t> sizes;
  std::vector<std::int64_t> strides;  // in elements, each >= 0; every addressed element lies in the storage
};

struct TorchStorageRecord {
  DType dtype = DType::F32;
  std::int64_t numel = 0;  // elements; the entry holds exactly numel x dtype size bytes
  ArchiveSpan bytes;
};

struct TorchArchive {
  std::vector<TorchTensorRecord> tensors;             // depth first, in the dicts' insertion order
  std::map<std::string, TorchStorageRecord> storages;  // only those the tensors use
};

// Reads `size` bytes at `offset` into `out`; throws linvideo::Error if it cannot. The parser only
// asks for ranges inside [0, file_size).
using ReadAt = std::function<void(std::uint64_t offset, std::size_t size, std::uint8_t* out)>;

// Parses the archive's directory and pickle. `label` (usually the path) starts every error message,
// which is one line naming the entry, key, or pickle byte at fault. Throws linvideo::Error.
TorchArchive parse_torch_archive(std::uint64_t file_size, const ReadAt& read, const std::string& label);

// The same on a file image in memory (the fuzzer's entry point).
TorchArchive parse_torch_archive(const std::uint8_t* data, std::size_t size, const std::string& label);

}  // namespace linvideo::io
