#include "core/method/sidecar.h"

#include <algorithm>
#include <filesystem>

#include <ATen/ATen.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/method/replaceability.h"
#include "core/method/sidecar_manifest.h"
#include "core/atomic_write.h"
#include "core/io/safetensors.h"
#include "core/model/attention_scope.h"
#include "core/model/wan_dit.h"

namespace linvideo::method {
namespace {

std::string key(int layer, const char* what) {
  return "blocks." + std::to_string(layer) + ".self_attn.linvideo." + what;
}

model::AttentionMode mode_from(const std::string& s, const std::string& path) {
  if (s == "softmax") return model::AttentionMode::Softmax;
  if (s == "linear") return model::AttentionMode::Linear;
  if (s == "mixed") return model::AttentionMode::Mixed;
  throw Error(path + ": unknown attention mode '" + s + "'");
}

}  // namespace

namespace {

template <class T>
nlohmann::json optional_json(const std::vector<std::optional<T>>& v, std::size_t i) {
  if (i >= v.size() || !v[i]) return nullptr;
  return *v[i];
}

const char* kTrajectoryKey = "linvideo.r_trajectory";

}  // namespace

std::vector<std::pair<std::string, at::Tensor>> sidecar_contents(const model::WanDiT& dit, const std::string& note,
                                                                 std::string* manifest_json, const SidecarScores& scores) {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  nlohmann::json manifest = {{"format", "linvideo-sidecar"}, {"version", 1}, {"layers", nlohmann::json::array()},
                             {"model", dit.config().summary()}, {"note", note}};
  for (int l = 0; l < dit.num_layers(); ++l) {
    const auto& s = dit.attention_state(l);
    nlohmann::json entry = {{"layer", l + 1}, {"mode", model::attention_mode_name(s.mode)},
                            {"r", s.mix_score.defined() ? s.mix_score.item<double>() : 1.0},
                            {"has_maps", s.has_linear_branch()}};
    const auto i = static_cast<std::size_t>(l);
    for (const auto& [name, values] : {std::pair<const char*, const std::vector<std::optional<double>>*>{"r_trained", &scores.r_trained},
                                       {"transfer_error", &scores.transfer_error},
                                       {"sensitivity", &scores.sensitivity}}) {
      const nlohmann::json v = optional_json(*values, i);
      if (!v.is_null()) entry[name] = v;
    }
    manifest["layers"].push_back(entry);
    if (s.has_linear_branch()) {
      tensors.emplace_back(key(l, "w_q"), s.w_q.detach());
      tensors.emplace_back(key(l, "w_k"), s.w_k.detach());
      tensors.emplace_back(key(l, "r"), s.mix_score.detach().reshape({1}));
    }
  }
  if (scores.r_trajectory.defined()) {
    const at::Tensor t = scores.r_trajectory.detach().to(at::kCPU, at::kFloat).contiguous();
    if (t.dim() != 2 || t.size(1) != dit.num_layers())
      throw Error("sidecar: the r trajectory must be [steps, " + std::to_string(dit.num_layers()) + "]");
    tensors.emplace_back(kTrajectoryKey, t);
    manifest["r_trajectory_steps"] = t.size(0);
  }
  *manifest_json = manifest.dump();
  return tensors;
}

void save_sidecar(const std::string& path, const model::WanDiT& dit, const std::string& note,
                  const SidecarScores& scores) {
  std::string manifest;
  const auto tensors = sidecar_contents(dit, note, &manifest, scores);
  io::write_safetensors(path, tensors, {{"linvideo", manifest}});
  write_text_atomically(path + ".json", nlohmann::json::parse(manifest).dump(2) + "\n");
}

SidecarScores read_sidecar_scores(const std::string& path) {
  const io::SafetensorsFile file(path);
  const auto it = file.header().metadata.find("linvideo");
  if (it == file.header().metadata.end()) throw Error(path + ": not a LinVideo sidecar (no 'linvideo' metadata)");
  const std::vector<SidecarLayerEntry> layers = parse_sidecar_manifest(it->second, path);
  SidecarScores out;
  bool any = false;
  for (const SidecarLayerEntry& e : layers) any = any || e.r_trained || e.transfer_error || e.sensitivity;
  if (any) {
    for (const SidecarLayerEntry& e : layers) {
      out.r_trained.push_back(e.r_trained);
      out.transfer_error.push_back(e.transfer_error);
      out.sensitivity.push_back(e.sensitivity);
    }
  }
  if (file.contains(kTrajectoryKey)) {
    const at::Tensor t = file.tensor(kTrajectoryKey);
    if (t.dim() != 2 || t.size(1) != static_cast<std::int64_t>(layers.size()))
      throw Error(path + ": tensor '" + kTrajectoryKey + "' must be [steps, " + std::to_string(layers.size()) + "]");
    out.r_trajectory = t.to(at::kFloat);
  }
  return out;
}

SidecarScores scan_scores(const ScanResult& scan, int layers, bool sensitivity_measured) {
  SidecarScores s;
  s.transfer_error.assign(static_cast<std::size_t>(layers), std::nullopt);
  if (sensitivity_measured) s.sensitivity.assign(static_cast<std::size_t>(layers), std::nullopt);
  for (const LayerScore& l : scan.layers) {
    if (l.layer < 1 || l.layer > layers) continue;
    s.transfer_error[static_cast<std::size_t>(l.layer - 1)] = l.transfer_error;
    if (sensitivity_measured) s.sensitivity[static_cast<std::size_t>(l.layer - 1)] = l.sensitivity;
  }
  return s;
}

void annotate_sidecar(const std::string& path, const ScanResult& scan, bool sensitivity_measured) {
  const io::SafetensorsFile file(path);
  const auto it = file.header().metadata.find("linvideo");
  if (it == file.header().metadata.end()) throw Error(path + ": not a LinVideo sidecar (no 'linvideo' metadata)");
  parse_sidecar_manifest(it->second, path);  // validated before anything is rewritten
  nlohmann::json manifest = nlohmann::json::parse(it->second);
  nlohmann::json& layers = manifest["layers"];
  for (const LayerScore& l : scan.layers) {
    if (l.layer < 1 || l.layer > static_cast<int>(layers.size()))
      throw Error(path + ": the scan names layer " + std::to_string(l.layer) + " of " + std::to_string(layers.size()));
    nlohmann::json& entry = layers[static_cast<std::size_t>(l.layer - 1)];
    entry["transfer_error"] = l.transfer_error;
    if (sensitivity_measured) entry["sensitivity"] = l.sensitivity;
  }
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& e : file.header().tensors) tensors.emplace_back(e.name, file.tensor(e.name).clone());
  std::map<std::string, std::string> metadata(file.header().metadata.begin(), file.header().metadata.end());
  metadata["linvideo"] = manifest.dump();
  io::write_safetensors(path, tensors, metadata);
  if (std::filesystem::exists(path + ".json")) write_text_atomically(path + ".json", manifest.dump(2) + "\n");
}

void load_sidecar(const std::string& path, model::WanDiT& dit) {
  const io::SafetensorsFile file(path);
  const auto it = file.header().metadata.find("linvideo");
  if (it == file.header().metadata.end()) throw Error(path + ": not a LinVideo sidecar (no 'linvideo' metadata)");
  const std::vector<SidecarLayerEntry> layers = parse_sidecar_manifest(it->second, path);
  if (static_cast<std::int64_t>(layers.size()) != dit.num_layers()) {
    throw Error(path + ": sidecar has " + std::to_string(layers.size()) + " layers, the model " +
                std::to_string(dit.num_layers()));
  }
  const auto& c = dit.config();
  const auto device = dit.options().device;
  for (int l = 0; l < dit.num_layers(); ++l) {
    auto& s = dit.attention_state(l);
    const SidecarLayerEntry& entry = layers[static_cast<std::size_t>(l)];
    if (entry.has_maps) {
      const at::Tensor wq = file.tensor(key(l, "w_q")), wk = file.tensor(key(l, "w_k"));
      const std::vector<std::int64_t> want = {c.num_heads, c.head_dim(), c.head_dim()};
      if (wq.sizes().vec() != want || wk.sizes().vec() != want) {
        throw Error(path + ": tensor '" + key(l, "w_q") + "' does not fit this model's heads");
      }
      s.w_q = wq.to(device, at::kFloat).clone();
      s.w_k = wk.to(device, at::kFloat).clone();
      const at::Tensor r = file.tensor(key(l, "r"));
      if (r.numel() != 1) throw Error(path + ": tensor '" + key(l, "r") + "' must hold one value");
      s.mix_score = r.to(device, at::kFloat).reshape({}).clone();
    }
    s.mode = mode_from(entry.mode, path);
  }
}

std::string find_shipped_sidecar(const std::string& model_folder) {
  namespace fs = std::filesystem;
  const std::string suffix = ".linvideo.safetensors";
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::directory_iterator it(model_folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        it->is_regular_file(ec))
      found.push_back(it->path().string());
  }
  if (found.empty()) return {};
  std::sort(found.begin(), found.end());
  return found.front();
}

std::string load_shipped_sidecar(const std::string& model_folder, model::WanDiT& dit) {
  const std::string path = find_shipped_sidecar(model_folder);
  if (path.empty()) return path;
  model::AttentionStateScope before(dit);  // a sidecar refused halfway leaves nothing behind
  load_sidecar(path, dit);
  before.keep();
  return path;
}

}  // namespace linvideo::method
