#include "core/io/torch_pickle.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <fstream>
#include <functional>

#include "core/error.h"

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
  c10::IValue root;
  try {
    root = torch::jit::pickle_load(data);
  } catch (const std::exception& e) {
    throw Error(path + ": cannot unpickle: " + one_line(e.what()));
  }
  std::vector<std::pair<std::string, at::Tensor>> out;
  std::function<void(const c10::IValue&, const std::string&)> walk = [&](const c10::IValue& v, const std::string& prefix) {
    if (v.isTensor()) {
      out.emplace_back(prefix, v.toTensor());
    } else if (v.isGenericDict()) {
      for (const auto& item : v.toGenericDict()) {
        if (!item.key().isString()) continue;
        walk(item.value(), prefix.empty() ? item.key().toStringRef() : prefix + "." + item.key().toStringRef());
      }
    }
  };
  walk(root, "");
  if (out.empty()) throw Error(path + ": holds no tensors (expected a state dict)");
  return out;
}

}  // namespace linvideo::io
