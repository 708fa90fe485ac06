#pragma once
// Helpers shared by the engine tests.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace linvideo::test {

// LINVIDEO_GOLDEN_DIR, or ../shared/golden beside the repository.
std::string golden_dir();
std::string read_text_file(const std::string& path);
// Names of the golden cases of `kind` ("dit", "vae", "umt5", "pipeline", ...) in manifest.json.
std::vector<std::string> golden_cases(const std::string& kind);

// ||a - b|| / ||b||, in float64.
double relative_error(const at::Tensor& a, const at::Tensor& b);

// A fresh empty folder under the system temp dir, removed at process exit.
std::string temp_dir();

// Writes a raw safetensors-like file: u64 length (header.size() unless overridden), header, data.
void write_raw(const std::string& path, const std::string& header, const std::string& data,
               std::int64_t header_length_override = -1);

}  // namespace linvideo::test

#include <vector>

namespace linvideo::test {

// One malformed safetensors file and the words its error must contain.
struct CorruptCase {
  std::string name;
  std::string header;
  std::string data;
  std::int64_t header_length = -1;  // override of the length prefix; -1 = true length
  std::string expect;               // substring of the error message
};
// Every failure class the reader must reject: header beyond the file, bad JSON, non-object JSON,
// unknown dtype, missing / reversed / overlapping / out-of-range offsets, size mismatch,
// negative and overflowing dimensions, and a file too short for the length prefix.
std::vector<CorruptCase> corrupt_cases();
// Writes case c to dir/<name>.safetensors and returns the path.
std::string write_corrupt_case(const std::string& dir, const CorruptCase& c);

}  // namespace linvideo::test
