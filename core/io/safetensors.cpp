#include "core/io/safetensors.h"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/atomic_write.h"

namespace linvideo::io {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw Error(path + ": not a regular file");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      // Private copy-on-write mapping: a stray in-place op on a weight cannot touch the file.
      void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        throw Error(path + ": cannot map file (" + std::strerror(errno) + ")");
      }
      data_ = static_cast<std::uint8_t*>(p);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_) ::munmap(data_, size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

namespace {

// Torch type used to hold the raw bytes of each safetensors dtype.
at::ScalarType storage_type(DType d) {
  switch (d) {
    case DType::Bool: return at::kBool;
    case DType::U8: return at::kByte;
    case DType::I8: return at::kChar;
    case DType::I16: return at::kShort;
    case DType::U16: return at::kShort;
    case DType::I32: return at::kInt;
    case DType::U32: return at::kInt;
    case DType::I64: return at::kLong;
    case DType::U64: return at::kLong;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::F32: return at::kFloat;
    case DType::F64: return at::kDouble;
    case DType::F8_E4M3: return at::kByte;
    case DType::F8_E5M2: return at::kByte;
  }
  return at::kByte;
}

// Value of every 8-bit float code, so decoding is one gather (works on any LibTorch version).
at::Tensor fp8_table(DType d) {
  std::vector<float> values(256);
  for (int code = 0; code < 256; ++code) {
    const int sign = (code >> 7) & 1;
    int exp_bits, man_bits, bias;
    if (d == DType::F8_E4M3) {
      exp_bits = 4, man_bits = 3, bias = 7;
    } else {
      exp_bits = 5, man_bits = 2, bias = 15;
    }
    const int e = (code >> man_bits) & ((1 << exp_bits) - 1);
    const int m = code & ((1 << man_bits) - 1);
    float v;
    if (d == DType::F8_E4M3 && e == 15 && m == 7) {
      v = std::nanf("");  // E4M3FN: no infinities, one NaN pattern
    } else if (d == DType::F8_E5M2 && e == 31) {
      v = m == 0 ? INFINITY : std::nanf("");
    } else if (e == 0) {
      v = std::ldexp(static_cast<float>(m) / (1 << man_bits), 1 - bias);
    } else {
      v = std::ldexp(1.0f + static_cast<float>(m) / (1 << man_bits), e - bias);
    }
    values[code] = sign ? -v : v;
  }
  return at::tensor(values);
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  map_ = std::make_shared<MappedFile>(path);
  header_ = parse_safetensors_header(map_->data(), map_->size(), map_->size(), path);
  for (std::size_t i = 0; i < header_.tensors.size(); ++i) index_[header_.tensors[i].name] = i;
}

SafetensorsFile::~SafetensorsFile() = default;

const TensorEntry* SafetensorsFile::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

at::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const TensorEntry* e = find(name);
  if (!e) throw Error(path_ + ": tensor '" + name + "' not found");
  if (e->dtype == DType::U64) {
    throw Error(path_ + ": tensor '" + name + "' has dtype U64, which LibTorch cannot hold");
  }
  const at::ScalarType st = storage_type(e->dtype);
  std::uint8_t* ptr = map_->data() + header_.data_offset + e->begin;
  const std::size_t elem = dtype_size(e->dtype);
  at::Tensor t;
  if (e->numel() == 0) {
    t = at::empty(e->shape, at::TensorOptions().dtype(st));
  } else if (reinterpret_cast<std::uintptr_t>(ptr) % elem == 0) {
    auto keep = map_;
    t = at::from_blob(ptr, e->shape, [keep](void*) {}, at::TensorOptions().dtype(st));
  } else {
    // Unaligned data section (legal in the format): copy once rather than risk unaligned loads.
    t = at::empty(e->shape, at::TensorOptions().dtype(st));
    std::memcpy(t.data_ptr(), ptr, e->nbytes());
  }
  switch (e->dtype) {
    case DType::U16: return t.to(at::kInt).bitwise_and(0xffff);
    case DType::U32: return t.to(at::kLong).bitwise_and(static_cast<std::int64_t>(0xffffffff));
    case DType::F8_E4M3:
    case DType::F8_E5M2:
      return fp8_table(e->dtype).index_select(0, t.reshape({-1}).to(at::kLong)).reshape(e->shape);
    default: return t;
  }
}

DType to_safetensors_dtype(at::ScalarType type, const std::string& tensor_name) {
  switch (type) {
    case at::kBool: return DType::Bool;
    case at::kByte: return DType::U8;
    case at::kChar: return DType::I8;
    case at::kShort: return DType::I16;
    case at::kInt: return DType::I32;
    case at::kLong: return DType::I64;
    case at::kHalf: return DType::F16;
    case at::kBFloat16: return DType::BF16;
    case at::kFloat: return DType::F32;
    case at::kDouble: return DType::F64;
    default:
      throw Error("tensor '" + tensor_name + "': dtype " + std::string(c10::toString(type)) +
                  " cannot be written to safetensors");
  }
}

void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<TensorEntry> entries;
  std::vector<at::Tensor> contiguous;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    TensorEntry e;
    e.name = name;
    e.dtype = to_safetensors_dtype(tensor.scalar_type(), name);
    e.shape = tensor.sizes().vec();
    e.begin = offset;
    e.end = offset + static_cast<std::uint64_t>(tensor.numel()) * dtype_size(e.dtype);
    offset = e.end;
    entries.push_back(e);
    contiguous.push_back(tensor.detach().to(at::kCPU).contiguous());
  }
  const std::string header = build_safetensors_header(entries, metadata);
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    for (const auto& t : contiguous)
      out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
  });
}

}  // namespace linvideo::io
