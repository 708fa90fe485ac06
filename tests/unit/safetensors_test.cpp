#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <filesystem>
#include <thread>

#include <fstream>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "tests/support/test_support.h"

using linvideo::Error;
using namespace linvideo::io;
using namespace linvideo::test;

TEST(Safetensors, RoundTripsEveryTorchDtype) {
  const std::string path = temp_dir() + "/all.safetensors";
  std::vector<std::pair<std::string, at::Tensor>> tensors = {
      {"f32", at::randn({3, 5})},
      {"f16", at::randn({7}).to(at::kHalf)},
      {"bf16", at::randn({2, 2, 3}).to(at::kBFloat16)},
      {"f64", at::randn({4}, at::kDouble)},
      {"i64", at::arange(10, at::kLong)},
      {"i32", at::arange(-3, 6, at::kInt)},
      {"i16", at::arange(-3, 6, at::kShort)},
      {"i8", at::arange(-3, 6, at::kChar)},
      {"u8", at::arange(0, 200, at::kByte)},
      {"bool", at::rand({9}) > 0.5},
      {"scalar", at::tensor(3.5f).reshape({})},
      {"empty", at::zeros({0, 4})},
      {"strided", at::randn({4, 6}).t()},  // non-contiguous input
  };
  write_safetensors(path, tensors, {{"format", "pt"}});
  const SafetensorsFile f(path);
  EXPECT_EQ(f.header().metadata.at("format"), "pt");
  ASSERT_EQ(f.header().tensors.size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    SCOPED_TRACE(name);
    const at::Tensor back = f.tensor(name);
    EXPECT_EQ(back.scalar_type(), t.scalar_type());
    EXPECT_EQ(back.sizes(), t.sizes());
    EXPECT_TRUE(at::equal(back, t));
  }
  // The data section is 8-byte aligned by the writer, so aligned tensors alias the mapping.
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(f.tensor("f64").data_ptr()) % 8, 0u);
}

TEST(Safetensors, WriterIsAtomicAndLeavesNoTemporary) {
  const std::string dir = temp_dir();
  write_safetensors(dir + "/m.safetensors", {{"a", at::ones({2})}});
  write_safetensors(dir + "/m.safetensors", {{"b", at::zeros({3})}});
  const SafetensorsFile f(dir + "/m.safetensors");
  EXPECT_FALSE(f.contains("a"));
  EXPECT_TRUE(f.contains("b"));
  for (const auto& e : std::filesystem::directory_iterator(dir))  // no temporary of any name is left
    EXPECT_EQ(e.path().filename().string().find("m.safetensors.tmp"), std::string::npos) << e.path();
}

// An atomically written file is not left private (mkstemp's 0600): a new one gets 0666 less the
// umask, like any file the user makes, and a replaced one keeps the permissions it had.
TEST(Safetensors, AtomicWritesGetTheUsualPermissions) {
  const mode_t mask = ::umask(022);
  const std::string path = temp_dir() + "/shared.safetensors";
  write_safetensors(path, {{"a", at::ones({2})}});
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  write_safetensors(path, {{"b", at::ones({2})}});
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ::umask(077);
  const std::string secret = temp_dir() + "/private.safetensors";
  write_safetensors(secret, {{"a", at::ones({2})}});
  ASSERT_EQ(::stat(secret.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ::umask(mask);
}

TEST(Safetensors, ConcurrentWritersOfOnePathLeaveOneWholeFile) {
  // Each writer has its own temporary file (a fixed "path.tmp" let two writers interleave).
  const std::string path = temp_dir() + "/race.safetensors";
  std::vector<std::thread> writers;
  for (int i = 0; i < 4; ++i)
    writers.emplace_back([&, i] {
      for (int j = 0; j < 10; ++j) write_safetensors(path, {{"x", at::full({4096}, static_cast<float>(i))}});
    });
  for (auto& w : writers) w.join();
  const SafetensorsFile f(path);
  const at::Tensor x = f.tensor("x");
  EXPECT_TRUE(at::equal(x, at::full({4096}, x[0].item<float>())));  // one writer's file, whole
}

TEST(Safetensors, DecodesFloat8AndWidensUnsigned) {
  // Bit patterns from the OCP FP8 spec: E4M3 0x38 = 1, 0x40 = 2, 0xC4 = -3, 0x7E = 448, 0x01 =
  // 2^-9; E5M2 0x3C = 1, 0x7B = 57344, 0x7C = inf.
  const std::string e4m3 = "\x38\x40\xC4\x7E\x01";
  const std::string e5m2 = "\x3C\x7B\x7C";
  const std::string u16 = std::string("\xff\xff\x01\x00", 4);
  const std::string data = e4m3 + e5m2 + u16;
  const std::string header =
      "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[5],\"data_offsets\":[0,5]},"
      "\"b\":{\"dtype\":\"F8_E5M2\",\"shape\":[3],\"data_offsets\":[5,8]},"
      "\"c\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[8,12]}}";
  const std::string path = temp_dir() + "/f8.safetensors";
  write_raw(path, header, data);
  const SafetensorsFile f(path);
  const at::Tensor a = f.tensor("a");
  EXPECT_TRUE(at::equal(a, at::tensor({1.0f, 2.0f, -3.0f, 448.0f, 1.0f / 512})));
  const at::Tensor b = f.tensor("b");
  EXPECT_EQ(b[0].item<float>(), 1.0f);
  EXPECT_EQ(b[1].item<float>(), 57344.0f);
  EXPECT_TRUE(std::isinf(b[2].item<float>()));
  EXPECT_TRUE(at::equal(f.tensor("c"), at::tensor({65535, 1}, at::kInt)));
}

TEST(Safetensors, UnalignedDataIsCopiedCorrectly) {
  const std::string data(reinterpret_cast<const char*>(std::vector<float>{1.5f, -2.0f}.data()), 8);
  const std::string path = temp_dir() + "/unaligned.safetensors";
  std::string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  while ((8 + header.size()) % 4 != 1) header += ' ';  // data section starts misaligned
  write_raw(path, header, data);
  const SafetensorsFile f(path);
  EXPECT_TRUE(at::equal(f.tensor("w"), at::tensor({1.5f, -2.0f})));
}

TEST(Safetensors, RejectsEveryCorruptionWithOneLineNamingTheFile) {
  const std::string dir = temp_dir();
  for (const auto& c : corrupt_cases()) {
    SCOPED_TRACE(c.name);
    const std::string path = write_corrupt_case(dir, c);
    try {
      SafetensorsFile f(path);
      ADD_FAILURE() << "accepted a corrupt file";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(path, 0), 0u) << msg;
      EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos);
    }
  }
}

TEST(Safetensors, NamesTheTensorInErrors) {
  const std::string path = temp_dir() + "/named.safetensors";
  write_raw(path, "{\"blocks.3.ffn.0.weight\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,16]}}",
            std::string(16, '\0'));
  try {
    SafetensorsFile f(path);
    FAIL() << "accepted a size mismatch";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("blocks.3.ffn.0.weight"), std::string::npos) << e.what();
  }
}

TEST(Safetensors, MissingFileAndMissingTensorAreErrors) {
  EXPECT_THROW(SafetensorsFile("/nonexistent/x.safetensors"), Error);
  const std::string path = temp_dir() + "/one.safetensors";
  write_safetensors(path, {{"a", at::ones({1})}});
  const SafetensorsFile f(path);
  EXPECT_THROW(f.tensor("b"), Error);
}
