#pragma once
// The safetensors container format, parsed and validated without LibTorch.
// Layout: u64 little-endian header length N, N bytes of JSON, then the data section.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace linvideo::io {

enum class DType { Bool, U8, I8, I16, U16, I32, U32, I64, U64, F16, BF16, F32, F64, F8_E4M3, F8_E5M2 };

// Size in bytes of one element.
std::size_t dtype_size(DType dtype);
// The safetensors spelling ("F32", "BF16", ...).
const char* dtype_name(DType dtype);
// Parses a safetensors dtype string; returns false if unknown.
bool parse_dtype(const std::string& text, DType* out);

struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  // offsets relative to the start of the data section
  std::uint64_t end = 0;
  std::uint64_t numel() const;
  std::uint64_t nbytes() const { return end - begin; }
};

struct SafetensorsHeader {
  std::uint64_t header_length = 0;  // N
  std::uint64_t data_offset = 0;    // 8 + N: where the data section starts in the file
  std::uint64_t data_size = 0;      // bytes of the data section
  std::vector<TensorEntry> tensors;  // in file order (by begin offset)
  std::map<std::string, std::string> metadata;
};

// Parses and validates a whole file image (or at least its first 8 + N bytes, with file_size the
// real size). `label` (usually the path) starts every error message. Throws linvideo::Error.
SafetensorsHeader parse_safetensors_header(const std::uint8_t* data, std::size_t available,
                                           std::uint64_t file_size, const std::string& label);

// Serialises a header for the writer: returns the complete prefix (8-byte length + JSON padded with
// spaces to a multiple of 8 so the data section stays aligned).
std::string build_safetensors_header(const std::vector<TensorEntry>& tensors,
                                     const std::map<std::string, std::string>& metadata);

}  // namespace linvideo::io
