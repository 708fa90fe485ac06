#include "core/train/training_state.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/atomic_write.h"
#include "core/io/safetensors.h"
#include "core/remove_tree.h"

namespace fs = std::filesystem;

namespace linvideo::train {
namespace {

std::string step_name(std::int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%06lld", static_cast<long long>(step));
  return buf;
}

// The single-optimiser layout keeps its historical name, optimizer.pt.
std::string optimizer_file(const std::string& name) {
  return name.empty() ? "optimizer.pt" : "optimizer-" + name + ".pt";
}

}  // namespace

Progress read_progress(const std::string& dir) {
  const fs::path file = fs::path(dir) / "progress.json";
  if (!fs::exists(file)) return {};
  return parse_progress(read_text_file(file.string()), file.string());
}

void save_checkpoint(const std::string& dir, std::int64_t step,
                     const std::vector<std::pair<std::string, at::Tensor>>& weights,
                     torch::optim::Optimizer& optimizer, const std::map<std::string, std::string>& info) {
  save_checkpoint(dir, step, weights, NamedOptimizers{{"", &optimizer}}, info);
}

void save_checkpoint(const std::string& dir, std::int64_t step,
                     const std::vector<std::pair<std::string, at::Tensor>>& weights,
                     const NamedOptimizers& optimizers, const std::map<std::string, std::string>& info) {
  fs::create_directories(dir);
  const Progress previous = read_progress(dir);
  const std::string name = step_name(step);
  const fs::path target = fs::path(dir) / name, staging = fs::path(dir) / (name + ".tmp");
  remove_tree(staging.string());
  fs::create_directories(staging);
  std::vector<std::pair<std::string, at::Tensor>> cpu;
  for (const auto& [k, t] : weights) cpu.emplace_back(k, t.detach().to(at::kCPU));
  io::write_safetensors((staging / "weights.safetensors").string(), cpu);
  for (const auto& [opt_name, optimizer] : optimizers) torch::save(*optimizer, (staging / optimizer_file(opt_name)).string());
  remove_tree(target.string());
  fs::rename(staging, target);
  // The commit point: progress.json now names the new, complete checkpoint.
  nlohmann::json j = {{"step", step}, {"checkpoint", name}, {"info", info}};
  if (!previous.checkpoint.empty() && previous.checkpoint != name)
    j["previous"] = {{"step", previous.step}, {"checkpoint", previous.checkpoint}, {"info", previous.info}};
  write_text_atomically((fs::path(dir) / "progress.json").string(), j.dump(2) + "\n");
  // Keep the previous checkpoint as a fallback; remove older ones.
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("step-", 0) == 0 && n != name && n != previous.checkpoint) remove_tree(e.path().string());
  }
}

std::string load_checkpoint(const std::string& dir, Progress& progress,
                            const std::vector<std::pair<std::string, at::Tensor>>& weights,
                            torch::optim::Optimizer& optimizer) {
  return load_checkpoint(dir, progress, weights, NamedOptimizers{{"", &optimizer}});
}

namespace {
void load_checkpoint_folder(const fs::path& folder, const std::vector<std::pair<std::string, at::Tensor>>& weights,
                            const NamedOptimizers& optimizers) {
  const io::SafetensorsFile file((folder / "weights.safetensors").string());
  at::NoGradGuard no_grad;
  for (const auto& [name, t] : weights) {
    if (!file.contains(name)) throw Error(file.path() + ": checkpoint lacks tensor '" + name + "'");
    const at::Tensor saved = file.tensor(name);
    if (saved.sizes() != t.sizes()) {
      throw Error(file.path() + ": tensor '" + name + "' has shape " + c10::str(saved.sizes()) + ", the model " +
                  c10::str(t.sizes()));
    }
    t.copy_(saved);
  }
  for (const auto& [name, optimizer] : optimizers) {
    const fs::path file = folder / optimizer_file(name);
    if (!fs::exists(file)) throw Error(file.string() + ": missing from the checkpoint");
    try {
      torch::load(*optimizer, file.string());
    } catch (const c10::Error& e) {
      std::string what = e.what_without_backtrace();
      what = what.substr(0, what.find('\n'));
      throw Error(file.string() + ": cannot load the optimiser state (" + what + ")");
    }
  }
}
}  // namespace

std::string load_checkpoint(const std::string& dir, Progress& progress,
                            const std::vector<std::pair<std::string, at::Tensor>>& weights,
                            const NamedOptimizers& optimizers) {
  try {
    load_checkpoint_folder(fs::path(dir) / progress.checkpoint, weights, optimizers);
    return {};
  } catch (const Error& newest) {
    if (progress.previous_checkpoint.empty() || !fs::is_directory(fs::path(dir) / progress.previous_checkpoint))
      throw;
    load_checkpoint_folder(fs::path(dir) / progress.previous_checkpoint, weights, optimizers);
    const std::string note = std::string("the newest checkpoint is unreadable (") + newest.what() +
                             "); resumed from the one before, at step " + std::to_string(progress.previous_step);
    progress.step = progress.previous_step;
    progress.checkpoint = progress.previous_checkpoint;
    progress.info = progress.previous_info;
    progress.previous_step = 0;
    progress.previous_checkpoint.clear();
    progress.previous_info.clear();
    return note;
  }
}

void truncate_metrics(const std::string& file, std::int64_t keep_through_step) {
  if (!fs::exists(file)) return;
  std::ifstream in(file);
  std::string kept, line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("step", std::int64_t{0}) <= keep_through_step) kept += line + "\n";
  }
  write_text_atomically(file, kept);
}

bool all_finite(const std::vector<at::Tensor>& tensors) {
  at::NoGradGuard no_grad;
  at::Tensor total;
  for (const auto& t : tensors) {
    if (!t.defined()) continue;
    const at::Tensor s = t.sum(at::kDouble);
    total = total.defined() ? total + s : s;
  }
  return !total.defined() || std::isfinite(total.item<double>());
}

void claim_run_config(const std::string& dir, const nlohmann::json& config, std::int64_t steps_done,
                      const nlohmann::json& older_defaults) {
  const fs::path config_file = fs::path(dir) / "config.json";
  if (!fs::exists(config_file)) {
    if (steps_done > 0) throw Error(config_file.string() + ": missing in a run folder with checkpoints");
    write_text_atomically(config_file.string(), config.dump(2) + "\n");
    return;
  }
  auto old = nlohmann::json::parse(read_text_file(config_file.string()), nullptr, false);
  if (old.is_object() && older_defaults.is_object()) {
    for (const auto& [key, value] : older_defaults.items()) {
      if (!old.contains(key)) old[key] = value;
    }
  }
  if (old.is_discarded() || !old.is_object())
    throw Error(config_file.string() + ": unreadable; use a new --run folder");
  if (old != config) {
    // Name what differs, with both values (the first few keys).
    std::string diff;
    int named = 0;
    nlohmann::json keys = nlohmann::json::object();
    for (const auto& [key, value] : old.items()) keys[key] = true;
    for (const auto& [key, value] : config.items()) keys[key] = true;
    for (const auto& [key, unused] : keys.items()) {
      const nlohmann::json was = old.contains(key) ? old[key] : nlohmann::json("(absent)");
      const nlohmann::json now = config.contains(key) ? config[key] : nlohmann::json("(absent)");
      if (was == now) continue;
      if (named++ < 4) diff += (diff.empty() ? "" : "; ") + key + " was " + was.dump() + ", now " + now.dump();
    }
    if (named > 4) diff += "; and " + std::to_string(named - 4) + " more";
    throw Error(config_file.string() + ": this run folder was started with other options (" + diff +
                "); use a new --run folder");
  }
}

}  // namespace linvideo::train
