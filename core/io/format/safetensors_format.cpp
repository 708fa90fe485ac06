#include "core/io/format/safetensors_format.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace linvideo::io {
namespace {

using json = nlohmann::json;

// The same cap the reference implementation uses: a larger header is corrupt or hostile.
constexpr std::uint64_t kMaxHeaderLength = 100ull * 1024 * 1024;

struct DTypeInfo {
  DType dtype;
  const char* name;
  std::size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::Bool, "BOOL", 1}, {DType::U8, "U8", 1},       {DType::I8, "I8", 1},
    {DType::I16, "I16", 2},   {DType::U16, "U16", 2},     {DType::I32, "I32", 4},
    {DType::U32, "U32", 4},   {DType::I64, "I64", 8},     {DType::U64, "U64", 8},
    {DType::F16, "F16", 2},   {DType::BF16, "BF16", 2},   {DType::F32, "F32", 4},
    {DType::F64, "F64", 8},   {DType::F8_E4M3, "F8_E4M3", 1}, {DType::F8_E5M2, "F8_E5M2", 1},
};

const DTypeInfo& info(DType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d;
  }
  return kDTypes[0];
}

[[noreturn]] void fail(const std::string& label, const std::string& what) {
  throw Error(label + ": " + what);
}

std::string quoted(const std::string& name) {
  // Keep hostile names short and printable in messages.
  std::string s;
  for (char c : name.substr(0, 120)) s += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  if (name.size() > 120) s += "...";
  return "tensor '" + s + "'";
}

std::uint64_t read_u64_le(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::uint64_t to_offset(const json& j, const std::string& label, const std::string& tensor) {
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  if (j.is_number_integer()) {
    const auto v = j.get<std::int64_t>();
    if (v >= 0) return static_cast<std::uint64_t>(v);
  }
  fail(label, quoted(tensor) + " has a data offset that is not a non-negative integer");
}

TensorEntry parse_entry(const std::string& name, const json& j, std::uint64_t data_size,
                        const std::string& label) {
  if (!j.is_object()) fail(label, quoted(name) + " entry is not a JSON object");
  TensorEntry e;
  e.name = name;

  const auto dt = j.find("dtype");
  if (dt == j.end() || !dt->is_string()) fail(label, quoted(name) + " has no dtype string");
  if (!parse_dtype(dt->get<std::string>(), &e.dtype)) {
    fail(label, quoted(name) + " has unknown dtype '" + dt->get<std::string>().substr(0, 32) + "'");
  }

  const auto sh = j.find("shape");
  if (sh == j.end() || !sh->is_array()) fail(label, quoted(name) + " has no shape array");
  std::uint64_t numel = 1;
  bool overflow = false;
  for (const auto& d : *sh) {
    if (!d.is_number_integer()) fail(label, quoted(name) + " has a non-integer dimension");
    if (d.is_number_unsigned() ? d.get<std::uint64_t>() > std::uint64_t(INT64_MAX)
                               : d.get<std::int64_t>() < 0) {
      fail(label, quoted(name) + " has a negative or out-of-range dimension");
    }
    const auto v = d.get<std::int64_t>();
    e.shape.push_back(v);
    if (v != 0 && numel > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(v)) {
      overflow = true;
    }
    numel *= static_cast<std::uint64_t>(v);
  }
  const std::uint64_t elem = dtype_size(e.dtype);
  if (overflow || numel > std::numeric_limits<std::uint64_t>::max() / elem ||
      numel > std::uint64_t(INT64_MAX)) {
    fail(label, quoted(name) + " has a shape whose element count overflows");
  }

  const auto off = j.find("data_offsets");
  if (off == j.end() || !off->is_array() || off->size() != 2) {
    fail(label, quoted(name) + " has missing data_offsets (need [begin, end])");
  }
  e.begin = to_offset((*off)[0], label, name);
  e.end = to_offset((*off)[1], label, name);
  if (e.end < e.begin) {
    fail(label, quoted(name) + " has reversed data_offsets [" + std::to_string(e.begin) + ", " +
                    std::to_string(e.end) + "]");
  }
  if (e.end > data_size) {
    fail(label, quoted(name) + " data_offsets end " + std::to_string(e.end) +
                    " is beyond the data section (" + std::to_string(data_size) + " bytes)");
  }
  if (numel * elem != e.end - e.begin) {
    fail(label, quoted(name) + " shape x dtype is " + std::to_string(numel * elem) +
                    " bytes but its data_offsets span " + std::to_string(e.end - e.begin));
  }
  return e;
}

}  // namespace

std::size_t dtype_size(DType dtype) { return info(dtype).size; }
const char* dtype_name(DType dtype) { return info(dtype).name; }

bool parse_dtype(const std::string& text, DType* out) {
  for (const auto& d : kDTypes) {
    if (text == d.name) {
      *out = d.dtype;
      return true;
    }
  }
  return false;
}

std::uint64_t TensorEntry::numel() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= static_cast<std::uint64_t>(d);
  return n;
}

SafetensorsHeader parse_safetensors_header(const std::uint8_t* data, std::size_t available,
                                           std::uint64_t file_size, const std::string& label) {
  if (file_size < 8 || available < 8) {
    fail(label, "file is too short to be safetensors (" + std::to_string(file_size) + " bytes)");
  }
  SafetensorsHeader h;
  h.header_length = read_u64_le(data);
  if (h.header_length > file_size - 8) {
    fail(label, "header length " + std::to_string(h.header_length) + " is beyond the file size (" +
                    std::to_string(file_size) + " bytes)");
  }
  if (h.header_length > kMaxHeaderLength) {
    fail(label, "header length " + std::to_string(h.header_length) + " exceeds the 100 MiB limit");
  }
  if (h.header_length + 8 > available) fail(label, "header is truncated");
  h.data_offset = 8 + h.header_length;
  h.data_size = file_size - h.data_offset;

  const char* begin = reinterpret_cast<const char*>(data + 8);
  json root = json::parse(begin, begin + h.header_length, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) fail(label, "header is not valid JSON");
  if (!root.is_object()) fail(label, "header JSON is not an object");

  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) fail(label, "__metadata__ is not a JSON object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) fail(label, "__metadata__ value '" + m.key().substr(0, 64) + "' is not a string");
        h.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    h.tensors.push_back(parse_entry(it.key(), *it, h.data_size, label));
  }

  // Tensors must not share bytes. Sorting by offset also gives a stable, file-order listing.
  std::sort(h.tensors.begin(), h.tensors.end(), [](const TensorEntry& a, const TensorEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (std::size_t i = 1; i < h.tensors.size(); ++i) {
    const auto& prev = h.tensors[i - 1];
    const auto& cur = h.tensors[i];
    if (cur.begin < prev.end) {
      fail(label, quoted(cur.name) + " overlaps " + quoted(prev.name) + " in the data section");
    }
  }
  return h;
}

std::string build_safetensors_header(const std::vector<TensorEntry>& tensors,
                                     const std::map<std::string, std::string>& metadata) {
  json root = json::object();
  if (!metadata.empty()) root["__metadata__"] = metadata;
  for (const auto& t : tensors) {
    root[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {t.begin, t.end}}};
  }
  std::string text = root.dump();
  while ((8 + text.size()) % 8 != 0) text += ' ';
  std::string out(8, '\0');
  std::uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + text;
}

}  // namespace linvideo::io
