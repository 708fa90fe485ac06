#include "core/io/torch_pickle.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <fstream>
#include <iterator>
#include <tuple>

#include "core/error.h"
#include "core/io/pickle_scan.h"

namespace linvideo::io {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string one_line(std::string s) {
  const auto nl = s.find('\n');
  if (nl != std::string::npos) s = s.substr(0, nl);
  return s;
}

// Throws unless every element the view t can address lies inside its storage: a file may claim
// 4,096 elements over a 16-byte storage, and reading it would copy process memory (issue 18).
void check_inside_storage(const at::Tensor& t, const std::string& path, const std::string& key) {
  if (t.numel() == 0) return;
  const auto bad = [&](const std::string& why) { throw Error(path + ": tensor '" + key + "' " + why); };
  if (t.storage_offset() < 0) bad("has a negative storage offset");
  // Largest element index addressed, with overflow checks (sizes and strides come from the file).
  std::int64_t last = t.storage_offset();
  for (std::int64_t d = 0; d < t.dim(); ++d) {
    const std::int64_t size = t.size(d), stride = t.stride(d);
    if (stride < 0) bad("has a negative stride");
    std::int64_t reach = 0;
    if (__builtin_mul_overflow(size - 1, stride, &reach) || __builtin_add_overflow(last, reach, &last))
      bad("has sizes and strides that overflow");
  }
  const std::int64_t item = static_cast<std::int64_t>(t.element_size());
  const std::int64_t have = static_cast<std::int64_t>(t.storage().nbytes()) / item;
  if (last >= have)
    bad("addresses " + std::to_string(last + 1) + " elements but its storage holds " + std::to_string(have));
}

}  // namespace

bool is_torch_pickle_path(const std::string& path) {
  return ends_with(path, ".pth") || ends_with(path, ".pt") || ends_with(path, ".ckpt") || ends_with(path, ".bin");
}

std::vector<std::pair<std::string, at::Tensor>> load_torch_state_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(path + ": cannot open");
  const std::streamsize size = in.tellg();
  in.seekg(0);
  std::vector<char> data(static_cast<std::size_t>(size));
  if (size > 0 && !in.read(data.data(), size)) throw Error(path + ": read failed");
  if (size < 4 || data[0] != 'P' || data[1] != 'K') {
    throw Error(path + ": not a zip-format torch.save file (legacy pickles are not supported; "
                       "re-save it with torch >= 1.6, or use a .safetensors export)");
  }
  // LibTorch's unpickler recurses on nested containers (200k nested dicts in 1.6 MB crashed it):
  // bound the pickle's depth from its opcodes first.
  if (const std::string why = pickle_depth_problem(data.data(), data.size(), 1000); !why.empty())
    throw Error(path + ": " + why);
  c10::IValue root;
  try {
    root = torch::jit::pickle_load(data);
  } catch (const std::exception& e) {
    throw Error(path + ": cannot unpickle: " + one_line(e.what()));
  }
  std::vector<std::pair<std::string, at::Tensor>> out;
  // Nested dicts, walked with an explicit stack and a depth bound (a deeply nested file must not
  // exhaust the call stack here).
  constexpr std::size_t kMaxDepth = 64;
  std::vector<std::tuple<c10::IValue, std::string, std::size_t>> pending{{root, "", 0}};
  while (!pending.empty()) {
    auto [v, prefix, depth] = std::move(pending.back());
    pending.pop_back();
    if (v.isTensor()) {
      check_inside_storage(v.toTensor(), path, prefix);
      out.emplace_back(prefix, v.toTensor());
    } else if (v.isGenericDict()) {
      if (depth >= kMaxDepth) throw Error(path + ": dicts nested deeper than " + std::to_string(kMaxDepth) + " levels");
      std::vector<std::tuple<c10::IValue, std::string, std::size_t>> children;
      for (const auto& item : v.toGenericDict()) {
        if (!item.key().isString()) continue;
        children.emplace_back(item.value(),
                              prefix.empty() ? item.key().toStringRef() : prefix + "." + item.key().toStringRef(),
                              depth + 1);
      }
      pending.insert(pending.end(), std::make_move_iterator(children.rbegin()), std::make_move_iterator(children.rend()));
    }
  }
  if (out.empty()) throw Error(path + ": holds no tensors (expected a state dict)");
  return out;
}

}  // namespace linvideo::io
