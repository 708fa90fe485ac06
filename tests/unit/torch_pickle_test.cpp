// .pth files (torch.save zip format) through the same Checkpoint interface as safetensors.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <fstream>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/pickle_scan.h"
#include "core/io/safetensors.h"
#include "tests/support/test_support.h"

using namespace linvideo;
using namespace linvideo::test;

namespace {
void write_pth(const std::string& path, const c10::IValue& value) {
  const std::vector<char> bytes = torch::jit::pickle_save(value);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
}  // namespace

TEST(TorchPickle, StateDictLoadsThroughCheckpointWithNestedKeys) {
  const std::string path = temp_dir() + "/model.pth";
  c10::impl::GenericDict inner(c10::StringType::get(), c10::AnyType::get());
  inner.insert("weight", at::arange(6, at::kFloat).view({2, 3}));
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("conv1", inner);
  root.insert("scale", at::ones({4}, at::kBFloat16));
  write_pth(path, root);

  const io::Checkpoint c = io::Checkpoint::open(path);
  EXPECT_EQ(c.keys(), (std::vector<std::string>{"conv1.weight", "scale"}));
  EXPECT_TRUE(at::equal(c.tensor("conv1.weight"), at::arange(6, at::kFloat).view({2, 3})));
  EXPECT_EQ(c.tensor("scale").scalar_type(), at::kBFloat16);
  EXPECT_EQ(c.entry("conv1.weight").shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(c.file_of("scale"), path);
  EXPECT_EQ(c.total_bytes(), 6u * 4 + 4u * 2);
}

TEST(TorchPickle, ConvertWritesEquivalentSafetensors) {
  const std::string dir = temp_dir();
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("a", at::randn({3, 3}));
  root.insert("b", at::arange(5, at::kLong));
  write_pth(dir + "/in.pth", root);
  const std::string cmd = std::string(LINVIDEO_CLI) + " convert " + dir + "/in.pth " + dir + "/out.safetensors --dtype bf16 > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const io::SafetensorsFile out(dir + "/out.safetensors");
  EXPECT_EQ(out.tensor("a").scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::allclose(out.tensor("a").to(at::kFloat), root.at("a").toTensor(), 1e-2, 1e-2));
  EXPECT_TRUE(at::equal(out.tensor("b"), at::arange(5, at::kLong)));  // integers keep their dtype
}

TEST(TorchPickle, GarbageAndLegacyFilesGiveNamedErrors) {
  const std::string dir = temp_dir();
  std::ofstream(dir + "/legacy.pth", std::ios::binary) << "\x80\x02}q\x00.";
  std::ofstream(dir + "/broken.pth", std::ios::binary) << "PK\x03\x04garbage-not-a-zip";
  for (const std::string name : {"legacy.pth", "broken.pth"}) {
    SCOPED_TRACE(name);
    try {
      io::Checkpoint::open(dir + "/" + name);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(dir + "/" + name, 0), 0u) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
}

// Issue 18: a tensor whose sizes reach past its storage (4,096 elements over 16 bytes) used to be
// copied out with 16 KB of process memory; dicts nested too deep are refused before any walk.
TEST(TorchPickle, TensorsReachingPastTheirStorageAreRefused) {
  const std::string dir = temp_dir();
  const at::Tensor small = at::arange(4, at::kFloat);
  auto impl = c10::make_intrusive<c10::TensorImpl>(c10::Storage(small.storage()), small.key_set(), small.dtype());
  const std::vector<int64_t> sizes{4096}, strides{1};
  impl->set_sizes_and_strides(c10::IntArrayRef(sizes), c10::IntArrayRef(strides));  // bypasses the storage-size check a user-facing op would do
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("ok", at::ones({2}));
  root.insert("liar", at::Tensor(std::move(impl)));
  write_pth(dir + "/liar.pth", root);
  try {
    io::Checkpoint::open(dir + "/liar.pth");
    FAIL() << "accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(dir + "/liar.pth", 0), 0u) << what;
    EXPECT_NE(what.find("'liar'"), std::string::npos) << what;
    EXPECT_NE(what.find("4096"), std::string::npos) << what;
  }
}

TEST(TorchPickle, DeeplyNestedDictsAreRefusedWithTheirFile) {
  const std::string dir = temp_dir();
  c10::IValue inner = at::ones({1});
  for (int i = 0; i < 100; ++i) {
    c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
    d.insert("n", inner);
    inner = d;
  }
  write_pth(dir + "/deep.pth", inner);
  try {
    io::Checkpoint::open(dir + "/deep.pth");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper"), std::string::npos) << e.what();
  }
}

// Issue 18: pickles nested beyond what LibTorch's recursive unpickler survives are refused from
// their opcodes, before it runs.
TEST(TorchPickle, PickleDepthIsBoundedBeforeUnpickling) {
  const std::string dir = temp_dir();
  c10::IValue inner = at::ones({1});
  for (int i = 0; i < 2000; ++i) {
    c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
    d.insert("n", inner);
    inner = d;
  }
  write_pth(dir + "/very_deep.pth", inner);
  try {
    io::Checkpoint::open(dir + "/very_deep.pth");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nests deeper than 1000"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(dir + "/very_deep.pth", 0), 0u) << e.what();
  }
  // The scanner on bare programs: a flat dict passes; deep lists, unknown opcodes and truncation do not.
  auto scan = [](const std::vector<unsigned char>& program, std::size_t max_depth) {
    return io::pickle_program_depth_problem(program.data(), program.size(), max_depth);
  };
  const std::vector<unsigned char> flat = {0x80, 2, '}', 'q', 0, '(', 'X', 1, 0, 0, 0, 'a', 'K', 1,
                                           'X', 1, 0, 0, 0, 'b', 'K', 2, 'u', '.'};
  EXPECT_EQ(scan(flat, 10), "");
  std::vector<unsigned char> deep = {0x80, 2};
  deep.insert(deep.end(), 50, ']');
  deep.push_back('.');
  EXPECT_NE(scan(deep, 10).find("deeper"), std::string::npos) << scan(deep, 10);
  EXPECT_NE(scan({0x80, 2, 0xff, '.'}, 10).find("0xff"), std::string::npos);
  EXPECT_NE(scan({0x80, 2, 'X', 0xff, 0, 0, 0, 'a', 'b'}, 10).find("truncated"), std::string::npos);
  EXPECT_NE(scan({0x80, 2, 'X', 0xff}, 10).find("truncated"), std::string::npos);
  EXPECT_NE(scan({0x80, 2, 's', '.'}, 10).find("malformed"), std::string::npos);  // SETITEM on an empty stack
}
