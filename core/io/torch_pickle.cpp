#include "core/io/torch_pickle.h"

#include <ATen/ATen.h>

#include <fstream>
#include <map>

#include "core/error.h"
#include "core/io/format/torch_archive.h"

namespace linvideo::io {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

at::ScalarType scalar_type(DType d) {
  switch (d) {
    case DType::Bool: return at::kBool;
    case DType::U8: return at::kByte;
    case DType::I8: return at::kChar;
    case DType::I16: return at::kShort;
    case DType::I32: return at::kInt;
    case DType::I64: return at::kLong;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::F64: return at::kDouble;
    default: return at::kFloat;  // the archive reader yields no other dtype
  }
}

}  // namespace

bool is_torch_pickle_path(const std::string& path) {
  return ends_with(path, ".pth") || ends_with(path, ".pt") || ends_with(path, ".ckpt") || ends_with(path, ".bin");
}

std::vector<std::pair<std::string, at::Tensor>> load_torch_state_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(path + ": cannot open");
  const std::streamoff end = in.tellg();
  if (end < 0) throw Error(path + ": cannot read its size");
  const auto size = static_cast<std::uint64_t>(end);
  char magic[2] = {0, 0};
  in.seekg(0);
  if (size < 4 || !in.read(magic, 2) || magic[0] != 'P' || magic[1] != 'K') {
    throw Error(path + ": not a zip-format torch.save file (legacy pickles are not supported; "
                       "re-save it with torch >= 1.6, or use a .safetensors export)");
  }
  const ReadAt read = [&](std::uint64_t offset, std::size_t n, std::uint8_t* out) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    if (!in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n)))
      throw Error(path + ": read failed at byte " + std::to_string(offset));
  };
  // Our own reader of the zip and the pickle (core/io/format/torch_archive): LibTorch's unpickler
  // recursed on nested containers and trusted sizes; this one checks everything before a byte of
  // tensor data is read, and reads each storage once, straight into its tensor.
  const TorchArchive archive = parse_torch_archive(size, read, path);
  std::map<std::string, at::Tensor> storages;
  for (const auto& [key, s] : archive.storages) {
    at::Tensor flat = at::empty({s.numel}, at::TensorOptions().dtype(scalar_type(s.dtype)));
    if (s.bytes.size) read(s.bytes.offset, static_cast<std::size_t>(s.bytes.size), static_cast<std::uint8_t*>(flat.data_ptr()));
    storages.emplace(key, flat);
  }
  std::vector<std::pair<std::string, at::Tensor>> out;
  out.reserve(archive.tensors.size());
  for (const TorchTensorRecord& t : archive.tensors) {
    out.emplace_back(t.name, storages.at(t.storage).as_strided(t.sizes, t.strides, t.storage_offset));
  }
  return out;
}

}  // namespace linvideo::io
