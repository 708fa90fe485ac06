#include "core/io/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/io/torch_pickle.h"

namespace fs = std::filesystem;

namespace linvideo::io {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Shard files named by an index's weight_map, in first-seen order.
std::vector<std::string> shards_from_index(const fs::path& index_path) {
  std::ifstream in(index_path);
  if (!in) throw Error(index_path.string() + ": cannot open");
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto root = nlohmann::json::parse(buffer.str(), nullptr, false);
  if (root.is_discarded() || !root.is_object()) throw Error(index_path.string() + ": not a JSON object");
  const auto map = root.find("weight_map");
  if (map == root.end() || !map->is_object()) {
    throw Error(index_path.string() + ": no \"weight_map\" object");
  }
  std::vector<std::string> files;
  std::set<std::string> seen;
  for (auto it = map->begin(); it != map->end(); ++it) {
    if (!it->is_string()) throw Error(index_path.string() + ": weight_map entry '" + it.key() + "' is not a file name");
    const std::string name = it->get<std::string>();
    if (name.find('/') != std::string::npos || name == "..") {
      throw Error(index_path.string() + ": shard name '" + name + "' must be a plain file name");
    }
    if (seen.insert(name).second) files.push_back((index_path.parent_path() / name).string());
  }
  if (files.empty()) throw Error(index_path.string() + ": weight_map is empty");
  return files;
}

// The safetensors files a folder stands for.
std::vector<std::string> resolve_folder(fs::path folder, std::string* weights_folder) {
  if (fs::is_directory(folder / "transformer")) folder /= "transformer";  // diffusers pipeline
  *weights_folder = folder.string();
  std::vector<fs::path> indexes, all, dit;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    if (ends_with(name, ".safetensors.index.json")) indexes.push_back(e.path());
    if (ends_with(name, ".safetensors")) {
      all.push_back(e.path());
      if (name.rfind("diffusion_pytorch_model", 0) == 0) dit.push_back(e.path());
    }
  }
  std::sort(indexes.begin(), indexes.end());
  for (const auto& idx : indexes) {
    if (idx.filename().string().rfind("diffusion_pytorch_model", 0) == 0) return shards_from_index(idx);
  }
  if (!indexes.empty()) return shards_from_index(indexes.front());
  std::vector<fs::path>& chosen = dit.empty() ? all : dit;
  if (chosen.empty()) throw Error(folder.string() + ": no .safetensors files in this folder");
  std::sort(chosen.begin(), chosen.end());
  std::vector<std::string> files;
  for (const auto& p : chosen) files.push_back(p.string());
  return files;
}

}  // namespace

Checkpoint Checkpoint::open(const std::string& path) {
  Checkpoint c;
  c.source_ = path;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path + ": no such file or folder");
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    files = resolve_folder(path, &c.folder_);
  } else if (ends_with(path, ".json")) {
    files = shards_from_index(path);
    c.folder_ = fs::path(path).parent_path().string();
  } else if (is_torch_pickle_path(path)) {
    c.folder_ = fs::path(path).parent_path().string();
    c.memory_ = std::make_shared<InMemory>();
    c.memory_->path = path;
    for (auto& [name, tensor] : load_torch_state_dict(path)) {
      TensorEntry e;
      e.name = name;
      e.dtype = to_safetensors_dtype(tensor.scalar_type(), name);
      e.shape = tensor.sizes().vec();
      e.end = static_cast<std::uint64_t>(tensor.numel()) * dtype_size(e.dtype);
      c.memory_->entries.push_back(e);
      c.memory_->tensors[name] = tensor;
      c.index_.push_back({name, {kInMemory, &c.memory_->entries.back()}});
    }
  } else {
    files = {path};
    c.folder_ = fs::path(path).parent_path().string();
  }
  for (const auto& f : files) c.files_.push_back(std::make_shared<SafetensorsFile>(f));

  for (std::size_t i = 0; i < c.files_.size(); ++i) {
    for (const auto& e : c.files_[i]->header().tensors) c.index_.push_back({e.name, {i, &e}});
  }
  std::sort(c.index_.begin(), c.index_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 1; i < c.index_.size(); ++i) {
    if (c.index_[i].first == c.index_[i - 1].first) {
      throw Error(c.path_of(c.index_[i].second.file) + ": tensor '" + c.index_[i].first +
                  "' also appears in " + c.path_of(c.index_[i - 1].second.file));
    }
  }
  for (const auto& kv : c.index_) c.keys_.push_back(kv.first);
  return c;
}

const Checkpoint::Location& Checkpoint::locate(const std::string& key) const {
  auto it = std::lower_bound(index_.begin(), index_.end(), key,
                             [](const auto& kv, const std::string& k) { return kv.first < k; });
  if (it == index_.end() || it->first != key) throw Error(source_ + ": tensor '" + key + "' not found");
  return it->second;
}

bool Checkpoint::contains(const std::string& key) const {
  return std::binary_search(keys_.begin(), keys_.end(), key);
}
const TensorEntry& Checkpoint::entry(const std::string& key) const { return *locate(key).entry; }
const std::string& Checkpoint::path_of(std::size_t file) const {
  return file == kInMemory ? memory_->path : files_[file]->path();
}
const std::string& Checkpoint::file_of(const std::string& key) const { return path_of(locate(key).file); }
at::Tensor Checkpoint::tensor(const std::string& key) const {
  const Location& loc = locate(key);
  return loc.file == kInMemory ? memory_->tensors.at(key) : files_[loc.file]->tensor(key);
}
std::vector<std::string> Checkpoint::files() const {
  std::vector<std::string> out;
  if (memory_) out.push_back(memory_->path);
  for (const auto& f : files_) out.push_back(f->path());
  return out;
}
std::uint64_t Checkpoint::total_bytes() const {
  std::uint64_t n = 0;
  for (const auto& kv : index_) n += kv.second.entry->nbytes();
  return n;
}

}  // namespace linvideo::io
