// .pth files (torch.save zip format) through the same Checkpoint interface as safetensors.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/format/torch_archive.h"
#include "core/io/torch_pickle.h"
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

// Issue 18: nesting LibTorch's recursive unpickler did not survive is an error like any other now.
TEST(TorchPickle, VeryDeepDictsAreRefusedWithoutRecursion) {
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
    EXPECT_NE(std::string(e.what()).find("nested deeper than 64"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(dir + "/very_deep.pth", 0), 0u) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Our torch.save reader (core/io/format/torch_archive) on files Python's torch.save layout makes,
// against LibTorch's own unpickler, and on hostile archives.

namespace {

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void put_le(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// A zip of stored entries, as torch.save writes one (CRCs are not checked by the reader; 0 here).
// With zip64, every size and offset in the directory is 0xffffffff and the real values sit in the
// zip64 extra field, and the end record points to a zip64 end record, as for files past 4 GiB.
std::vector<std::uint8_t> stored_zip(const std::vector<std::pair<std::string, std::string>>& entries, int method = 0,
                                     bool zip64 = false) {
  std::vector<std::uint8_t> out, dir;
  for (const auto& [name, data] : entries) {
    const std::size_t local = out.size();
    put_le(out, 0x04034b50u, 4); put_le(out, 20, 2); put_le(out, 0, 2); put_le(out, method, 2);
    put_le(out, 0, 4); put_le(out, 0, 4); put_le(out, data.size(), 4); put_le(out, data.size(), 4);
    put_le(out, name.size(), 2); put_le(out, 0, 2);
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), data.begin(), data.end());
    put_le(dir, 0x02014b50u, 4); put_le(dir, 20, 2); put_le(dir, 20, 2); put_le(dir, 0, 2); put_le(dir, method, 2);
    const std::uint64_t big = 0xffffffffu;
    put_le(dir, 0, 4); put_le(dir, 0, 4); put_le(dir, zip64 ? big : data.size(), 4); put_le(dir, zip64 ? big : data.size(), 4);
    put_le(dir, name.size(), 2); put_le(dir, zip64 ? 28 : 0, 2); put_le(dir, 0, 2); put_le(dir, 0, 2); put_le(dir, 0, 2);
    put_le(dir, 0, 4); put_le(dir, zip64 ? big : local, 4);
    dir.insert(dir.end(), name.begin(), name.end());
    if (zip64) {  // uncompressed size, compressed size, local header offset
      put_le(dir, 0x0001, 2); put_le(dir, 24, 2);
      put_le(dir, data.size(), 8); put_le(dir, data.size(), 8); put_le(dir, local, 8);
    }
  }
  const std::size_t dir_at = out.size();
  out.insert(out.end(), dir.begin(), dir.end());
  if (zip64) {
    const std::size_t record = out.size();
    put_le(out, 0x06064b50u, 4); put_le(out, 44, 8); put_le(out, 45, 2); put_le(out, 45, 2); put_le(out, 0, 4);
    put_le(out, 0, 4); put_le(out, entries.size(), 8); put_le(out, entries.size(), 8); put_le(out, dir.size(), 8);
    put_le(out, dir_at, 8);
    put_le(out, 0x07064b50u, 4); put_le(out, 0, 4); put_le(out, record, 8); put_le(out, 1, 4);
    put_le(out, 0x06054b50u, 4); put_le(out, 0, 2); put_le(out, 0, 2); put_le(out, 0xffff, 2);
    put_le(out, 0xffff, 2); put_le(out, 0xffffffffu, 4); put_le(out, 0xffffffffu, 4); put_le(out, 0, 2);
    return out;
  }
  put_le(out, 0x06054b50u, 4); put_le(out, 0, 2); put_le(out, 0, 2); put_le(out, entries.size(), 2);
  put_le(out, entries.size(), 2); put_le(out, dir.size(), 4); put_le(out, dir_at, 4); put_le(out, 0, 2);
  return out;
}

// Pickle opcodes by hand (protocol 2).
struct Pickle {
  std::string b = std::string("\x80\x02", 2);
  Pickle& op(char c) { b += c; return *this; }
  Pickle& str(const std::string& s) {
    b += 'X';
    for (int i = 0; i < 4; ++i) b += static_cast<char>((s.size() >> (8 * i)) & 0xff);
    b += s;
    return *this;
  }
  Pickle& global(const std::string& module, const std::string& name) { b += 'c' + module + '\n' + name + '\n'; return *this; }
  Pickle& int1(int v) { b += 'K'; b += static_cast<char>(v); return *this; }
  // ('storage', torch.<type>, key, 'cpu', numel) as a persistent id
  Pickle& storage(const std::string& type, const std::string& key, int numel) {
    op('(').str("storage").global("torch", type).str(key).str("cpu").int1(numel).op('t').op('Q');
    return *this;
  }
  // _rebuild_tensor_v2(storage, 0, (n,), (1,), False, OrderedDict())
  Pickle& vector_tensor(const std::string& type, const std::string& key, int n) {
    global("torch._utils", "_rebuild_tensor_v2").op('(');
    storage(type, key, n).int1(0).int1(n).op('\x85').int1(1).op('\x85').op('\x89');
    global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
    return *this;
  }
};

std::vector<std::uint8_t> archive(const std::string& pickle, std::vector<std::pair<std::string, std::string>> more = {}) {
  more.insert(more.begin(), {"archive/data.pkl", pickle});
  return stored_zip(more);
}

std::string error_of(const std::vector<std::uint8_t>& bytes) {
  try {
    io::parse_torch_archive(bytes.data(), bytes.size(), "hostile.pth");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// The seeds were made by tests/fuzz/seeds/make_torch_archive_seeds.py exactly as torch.save lays
// out a state dict: an OrderedDict with _metadata (a BUILD), a Parameter (_rebuild_parameter), a
// byteorder entry, a transposed view and one with an offset and a stride.
TEST(TorchArchive, ReadsTheTorchSaveLayout) {
  const std::string seeds = std::string(LINVIDEO_SEEDS_DIR) + "/torch_archive";
  const io::Checkpoint c = io::Checkpoint::open(seeds + "/state_dict.pth");
  EXPECT_EQ(c.keys(), (std::vector<std::string>{"blocks.0.scale", "blocks.0.weight", "steps"}));
  EXPECT_TRUE(at::equal(c.tensor("blocks.0.weight"), at::tensor({0.f, 3.f, 1.f, 4.f, 2.f, 5.f}).view({3, 2})));
  EXPECT_EQ(c.tensor("blocks.0.scale").scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::equal(c.tensor("blocks.0.scale").to(at::kFloat), at::ones({4})));
  EXPECT_TRUE(at::equal(c.tensor("steps"), at::tensor({2, 4, 6}, at::kLong)));
  // A training checkpoint's dict: the tensors under "model", the numbers beside them ignored.
  const io::Checkpoint n = io::Checkpoint::open(seeds + "/nested.pth");
  EXPECT_EQ(n.keys(), (std::vector<std::string>{"model.w"}));
  EXPECT_TRUE(at::equal(n.tensor("model.w"), at::tensor({1.f, 2.f, 3.f, 4.f}).view({2, 2})));
}

// Differential: random nested state dicts written by LibTorch's pickle_save, read by our reader and
// by LibTorch's unpickler, must give the same names, dtypes, shapes, strides and values.
TEST(TorchArchive, MatchesLibTorchsUnpicklerOnRandomStateDicts) {
  const std::string dir = temp_dir();
  at::manual_seed(7);
  std::mt19937 rng(11);
  const std::vector<at::ScalarType> dtypes = {at::kFloat, at::kBFloat16, at::kHalf, at::kDouble, at::kLong,
                                              at::kInt, at::kShort, at::kChar, at::kByte, at::kBool};
  for (int trial = 0; trial < 40; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    std::vector<c10::impl::GenericDict> dicts{root};
    const int count = 1 + static_cast<int>(rng() % 12);
    at::Tensor shared;
    for (int i = 0; i < count; ++i) {
      const auto dtype = dtypes[rng() % dtypes.size()];
      std::vector<std::int64_t> shape;
      for (int d = 0, dims = static_cast<int>(rng() % 4); d < dims; ++d) shape.push_back(static_cast<std::int64_t>(rng() % 5));
      at::Tensor t = (at::rand(shape) * 100).to(dtype);
      switch (rng() % 4) {  // views: transposed, sliced with a step, a view of an earlier tensor
        case 0: if (t.dim() >= 2) t = t.transpose(0, 1); break;
        case 1: if (t.dim() >= 1 && t.size(0) > 1) t = t.slice(0, 1, t.size(0), 2); break;
        case 2: if (shared.defined()) t = shared.view({-1}).slice(0, 0, std::max<std::int64_t>(shared.numel() / 2, 0)); break;
        default: break;
      }
      if (!shared.defined() && t.numel() > 0) shared = t.contiguous();
      auto& target = dicts[rng() % dicts.size()];
      target.insert("t" + std::to_string(i), t);
      if (rng() % 3 == 0) {  // a new level
        c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
        target.insert("d" + std::to_string(i), d);
        dicts.push_back(d);
      }
    }
    root.insert("epoch", static_cast<std::int64_t>(trial));  // non-tensors are skipped by both
    const std::vector<char> bytes = torch::jit::pickle_save(root);
    const std::string path = dir + "/random.pth";
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

    std::map<std::string, at::Tensor> expected;
    std::vector<std::pair<c10::IValue, std::string>> pending{{torch::jit::pickle_load(bytes), ""}};
    while (!pending.empty()) {
      auto [v, prefix] = pending.back();
      pending.pop_back();
      if (v.isTensor()) expected[prefix] = v.toTensor();
      if (v.isGenericDict()) {
        for (const auto& item : v.toGenericDict()) {
          pending.emplace_back(item.value(), prefix.empty() ? item.key().toStringRef() : prefix + "." + item.key().toStringRef());
        }
      }
    }
    const auto ours = io::load_torch_state_dict(path);
    ASSERT_EQ(ours.size(), expected.size());
    for (const auto& [name, t] : ours) {
      SCOPED_TRACE(name);
      ASSERT_EQ(expected.count(name), 1u);
      const at::Tensor& e = expected.at(name);
      EXPECT_EQ(t.scalar_type(), e.scalar_type());
      EXPECT_EQ(t.sizes(), e.sizes());
      EXPECT_EQ(t.strides(), e.strides());
      EXPECT_TRUE(at::equal(t, e));
    }
  }
}

TEST(TorchArchive, HostileArchivesAreRefusedNamingTheEntryOrByte) {
  const std::string ok_pickle = Pickle().op('}').str("w").vector_tensor("FloatStorage", "0", 2).op('s').op('.').b;
  const std::string two_floats(8, '\0');
  ASSERT_EQ(error_of(archive(ok_pickle, {{"archive/data/0", two_floats}})), "");
  const std::vector<std::pair<std::string, std::vector<std::uint8_t>>> cases = {
      {"entry 'archive/data/0' holds 4 bytes; its storage is 2 elements of F32 (8 bytes)",
       archive(ok_pickle, {{"archive/data/0", std::string(4, '\0')}})},
      {"the archive has no entry 'archive/data/0'", archive(ok_pickle)},
      {"the archive has no data.pkl", stored_zip({{"archive/data/0", two_floats}})},
      {"is compressed", stored_zip({{"archive/data.pkl", ok_pickle}, {"archive/data/0", two_floats}}, 8)},
      {"the archive holds two pickles", archive(ok_pickle, {{"other/data.pkl", ok_pickle}, {"archive/data/0", two_floats}})},
      {"only little-endian archives are read", archive(ok_pickle, {{"archive/byteorder", "big"}, {"archive/data/0", two_floats}})},
      {"unsupported storage type 'torch.ComplexFloatStorage'",
       archive(Pickle().op('}').str("w").vector_tensor("ComplexFloatStorage", "0", 2).op('s').op('.').b)},
      {"a storage key that is not a plain name",
       archive(Pickle().op('}').str("w").vector_tensor("FloatStorage", "../0", 2).op('s').op('.').b)},
      {"storage '0' is read as two different types or sizes",
       archive(Pickle().op('}').str("a").vector_tensor("FloatStorage", "0", 2).str("b").vector_tensor("HalfStorage", "0", 4).op('s').op('s').op('.').b)},
      {"tensor 'w' appears twice",
       archive(Pickle().op('}').str("w").vector_tensor("FloatStorage", "0", 2).op('s').op('q').op('\0').str("w")
                   .vector_tensor("FloatStorage", "0", 2).op('s').op('.').b, {{"archive/data/0", two_floats}})},
      {"the dict at 'self' appears twice",  // a dict holding itself
       archive(Pickle().op('}').op('q').op('\0').str("self").op('h').op('\0').op('s').op('.').b)},
      {"holds a list, not a dict of tensors", archive(Pickle().op(']').op('.').b)},
      {"holds no tensors", archive(Pickle().op('}').str("n").int1(3).op('s').op('.').b)},
      {"data.pkl byte 2: unsupported pickle opcode 0xff", archive(std::string("\x80\x02\xff.", 4))},
      {"data.pkl byte 2: pops from an empty stack", archive(std::string("\x80\x02s.", 4))},
      {"the pickle ends inside opcode", archive(std::string("\x80\x02X\xff\0\0\0ab", 9))},
      {"memo entry 9 was never set", archive(std::string("\x80\x02h\x09.", 5))},
      {"the pickle ends without STOP", archive(std::string("\x80\x02}", 3))},
      {"an integer wider than 64 bits", archive(std::string("\x80\x02\x8a\x09", 4) + std::string(9, '\1') + ".")},
      {"no zip end-of-directory record", std::vector<std::uint8_t>(100, 'P')},
  };
  for (const auto& [want, bytes] : cases) {
    SCOPED_TRACE(want);
    const std::string e = error_of(bytes);
    EXPECT_EQ(e.rfind("hostile.pth: ", 0), 0u) << e;
    EXPECT_NE(e.find(want), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  // The same archive in zip64 form (Wan's 11 GB umT5 .pth is one) reads the same.
  const std::vector<std::uint8_t> z64 = stored_zip({{"archive/data.pkl", ok_pickle}, {"archive/data/0", std::string("\0\0\x80\x3f\0\0\0\x40", 8)}}, 0, true);
  ASSERT_EQ(error_of(z64), "");
  const io::TorchArchive a = io::parse_torch_archive(z64.data(), z64.size(), "z64.pth");
  ASSERT_EQ(a.tensors.size(), 1u);
  EXPECT_EQ(a.tensors[0].name, "w");
  EXPECT_EQ(a.tensors[0].sizes, (std::vector<std::int64_t>{2}));
  float values[2];
  std::memcpy(values, z64.data() + a.storages.at("0").bytes.offset, sizeof values);
  EXPECT_EQ(values[0], 1.0f);
  EXPECT_EQ(values[1], 2.0f);
  std::vector<std::uint8_t> no_locator = z64;
  no_locator[no_locator.size() - 22 - 20] ^= 0xff;  // break the zip64 locator's signature
  EXPECT_NE(error_of(no_locator).find("zip64"), std::string::npos) << error_of(no_locator);
  // A tensor reaching past its storage, written by hand: 4 elements over a 2-element storage.
  std::string liar = Pickle().op('}').str("liar").global("torch._utils", "_rebuild_tensor_v2").op('(')
                         .storage("FloatStorage", "0", 2).int1(0).int1(4).op('\x85').int1(1).op('\x85').op('\x89').op(')').op('t').op('R').op('s').op('.').b;
  EXPECT_NE(error_of(archive(liar, {{"archive/data/0", two_floats}})).find("tensor 'liar' addresses 4 elements but its storage holds 2"), std::string::npos);
}

// 200,000 nested lists, and 300,000 MARKs: LibTorch's unpickler crashed on much less; ours builds
// them flat, so it answers with an error and no recursion.
TEST(TorchArchive, DeepNestingNeitherRecursesNorCrashes) {
  std::string nested("\x80\x02", 2);
  nested += std::string(200000, ']') + std::string(199999, 'a') + ".";
  EXPECT_NE(error_of(archive(nested)).find("holds a list"), std::string::npos);
  std::string marks("\x80\x02", 2);
  marks += std::string(300000, '(') + "}.";
  EXPECT_NE(error_of(archive(marks)).find("holds no tensors"), std::string::npos);
}

// Every prefix of a real archive, and every single-byte change of it, is either read or refused
// with an Error naming the file: never a crash or another exception (the fuzzer does more).
TEST(TorchArchive, TruncatedAndCorruptedSeedsNeverCrash) {
  const std::vector<std::uint8_t> seed = read_bytes(std::string(LINVIDEO_SEEDS_DIR) + "/torch_archive/state_dict.pth");
  ASSERT_GT(seed.size(), 1000u);
  std::size_t refused = 0;
  for (std::size_t n = 0; n < seed.size(); ++n) {
    const std::vector<std::uint8_t> prefix(seed.begin(), seed.begin() + static_cast<std::ptrdiff_t>(n));
    const std::string e = error_of(prefix);
    ASSERT_FALSE(e.empty()) << "a " << n << "-byte prefix was accepted";
    ++refused;
  }
  std::mt19937 rng(5);
  for (std::size_t i = 0; i < seed.size(); ++i) {
    std::vector<std::uint8_t> bad = seed;
    bad[i] = static_cast<std::uint8_t>(bad[i] ^ (1u + rng() % 255));
    const std::string e = error_of(bad);  // throws nothing but linvideo::Error
    if (!e.empty()) EXPECT_EQ(e.rfind("hostile.pth: ", 0), 0u) << e;
  }
  EXPECT_EQ(refused, seed.size());
  const std::string dir = temp_dir();
  write_bytes(dir + "/cut.pth", std::vector<std::uint8_t>(seed.begin(), seed.begin() + 700));
  try {
    io::Checkpoint::open(dir + "/cut.pth");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir + "/cut.pth: ", 0), 0u) << e.what();
  }
}
