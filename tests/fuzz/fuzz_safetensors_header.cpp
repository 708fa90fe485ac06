// libFuzzer entry: any byte string is a candidate file. The parser must either accept it or throw
// linvideo::Error; crashes, leaks, UB and other exception types are findings.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "core/io/format/safetensors_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto header = linvideo::io::parse_safetensors_header(data, size, size, "fuzz-input");
    // Invariants of an accepted header.
    for (const auto& t : header.tensors) {
      if (t.end < t.begin || t.end > header.data_size) __builtin_trap();
    }
  } catch (const linvideo::Error&) {
  }
  return 0;
}
