#include "tests/support/test_support.h"

#include "core/remove_tree.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <execinfo.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace linvideo::test {

std::string golden_dir() {
  const char* env = std::getenv("LINVIDEO_GOLDEN_DIR");
  return env && *env ? env : LINVIDEO_DEFAULT_GOLDEN_DIR;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> golden_cases(const std::string& kind) {
  const auto manifest = nlohmann::json::parse(read_text_file(golden_dir() + "/manifest.json"));
  std::vector<std::string> out;
  for (auto it = manifest.begin(); it != manifest.end(); ++it) {
    if (it->value("kind", "") == kind) out.push_back(it.key());
  }
  return out;
}

double relative_error(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor ad = a.detach().to(at::kCPU, at::kDouble), bd = b.detach().to(at::kCPU, at::kDouble);
  return (ad - bd).norm().item<double>() / bd.norm().item<double>();
}

namespace {

// Temp folders are removed in gtest's global tear-down with remove_tree() (see core/remove_tree.h
// for why not std::filesystem), not from a static destructor.
std::string* temp_root = nullptr;  // deliberately leaked: no exit-time destructor

class TempCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (temp_root && !temp_root->empty()) remove_tree(*temp_root);
  }
};

void print_backtrace_and_die(int sig) {
  void* frames[64];
  const int n = ::backtrace(frames, 64);
  const char msg[] = "\nfatal signal in test process; backtrace:\n";
  (void)!::write(2, msg, sizeof msg - 1);
  ::backtrace_symbols_fd(frames, n, 2);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// Installed once per test process, before main: a crash prints where it happened.
const bool kBacktraceInstalled = [] {
  ::signal(SIGSEGV, print_backtrace_and_die);
  ::signal(SIGABRT, print_backtrace_and_die);
  return true;
}();

}  // namespace

std::string temp_dir() {
  static int counter = 0;
  if (!temp_root) {
    temp_root = new std::string("/tmp/linvideo-test-" + std::to_string(::getpid()));
    if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp) {
      *temp_root = std::string(tmp) + "/linvideo-test-" + std::to_string(::getpid());
    }
    ::mkdir(temp_root->c_str(), 0700);
    ::testing::AddGlobalTestEnvironment(new TempCleanup);
  }
  const std::string dir = *temp_root + "/" + std::to_string(counter++);
  ::mkdir(dir.c_str(), 0700);
  return dir;
}

void write_raw(const std::string& path, const std::string& header, const std::string& data,
               std::int64_t header_length_override) {
  std::ofstream out(path, std::ios::binary);
  const std::uint64_t n = header_length_override >= 0 ? static_cast<std::uint64_t>(header_length_override)
                                                      : header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << header << data;
}

}  // namespace linvideo::test

namespace linvideo::test {

std::vector<CorruptCase> corrupt_cases() {
  const std::string data16(16, '\0');
  auto entry = [](const std::string& name, const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
           ",\"data_offsets\":" + offsets + "}";
  };
  return {
      {"header_beyond_file", "{}", "", 1 << 20, "beyond the file size"},
      {"header_huge", "{}", "", std::int64_t{1} << 62, "beyond the file size"},
      {"invalid_json", "{\"a\": [1, 2", data16, -1, "not valid JSON"},
      {"json_not_object", "[1, 2, 3]", data16, -1, "not an object"},
      {"unknown_dtype", "{" + entry("w", "F7", "[4]", "[0,16]") + "}", data16, -1, "unknown dtype"},
      {"missing_offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4]}}", data16, -1, "missing data_offsets"},
      {"reversed_offsets", "{" + entry("w", "F32", "[0]", "[16,0]") + "}", data16, -1, "reversed"},
      {"overlapping_offsets",
       "{" + entry("a", "F32", "[3]", "[0,12]") + "," + entry("b", "F32", "[2]", "[8,16]") + "}", data16,
       -1, "overlaps"},
      {"offset_out_of_range", "{" + entry("w", "F32", "[8]", "[0,32]") + "}", data16, -1,
       "beyond the data section"},
      {"size_mismatch", "{" + entry("w", "F32", "[3]", "[0,16]") + "}", data16, -1, "span"},
      {"negative_dimension", "{" + entry("w", "F32", "[-4]", "[0,16]") + "}", data16, -1, "negative"},
      {"overflowing_dimensions",
       "{" + entry("w", "F32", "[4294967296,4294967296,16]", "[0,16]") + "}", data16, -1, "overflows"},
      {"negative_offset", "{" + entry("w", "F32", "[4]", "[-16,0]") + "}", data16, -1, "non-negative"},
      {"metadata_not_strings", "{\"__metadata__\":{\"a\":1}}", data16, -1, "not a string"},
  };
}

std::string write_corrupt_case(const std::string& dir, const CorruptCase& c) {
  const std::string path = dir + "/" + c.name + ".safetensors";
  write_raw(path, c.header, c.data, c.header_length);
  return path;
}

}  // namespace linvideo::test
