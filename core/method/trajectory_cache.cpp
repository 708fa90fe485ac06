#include "core/method/trajectory_cache.h"

#include <ATen/ATen.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/method/cache_index.h"
#include "core/atomic_write.h"
#include "core/io/safetensors.h"
#include "core/model/attention_scope.h"
#include "core/model/wan_dit.h"

namespace fs = std::filesystem;

namespace linvideo::method {
namespace {

std::string shard_name(std::int64_t job) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "shard-%06lld.safetensors", static_cast<long long>(job));
  return buf;
}

CacheIndex read_index(const fs::path& file) {
  if (!fs::exists(file)) {
    CacheIndex empty;
    empty.json = empty_cache_index();
    return empty;
  }
  return parse_cache_index(read_text_file(file.string()), file.string());
}

void write_index(const fs::path& file, const nlohmann::json& j) { write_text_atomically(file.string(), j.dump(2) + "\n"); }

nlohmann::json settings_json(const pipeline::GenerationSettings& s, const std::string& model) {
  return {{"model", model}, {"steps", s.steps}, {"guidance", s.guidance}, {"shift", s.shift},
          {"solver", sampling::solver_name(s.solver)}, {"grid", sampling::grid_name(s.grid)},
          {"frames", s.frames}, {"height", s.height}, {"width", s.width}};
}

}  // namespace

CacheSummary build_trajectory_cache(pipeline::TextToVideo& t2v, const pipeline::GenerationSettings& base,
                                    const CacheOptions& o, const std::function<void(const std::string&)>& log,
                                    const pipeline::CancelToken* cancel) {
  if (o.dir.empty()) throw Error("cache: no output folder");
  if (o.prompts.empty()) throw Error("cache: no prompts");
  if (o.seeds < 1) throw Error("cache: --seeds must be at least 1");
  fs::create_directories(o.dir);
  const fs::path index_file = fs::path(o.dir) / "index.json";
  const CacheIndex existing = read_index(index_file);
  nlohmann::json index = existing.json;
  const nlohmann::json settings = settings_json(base, t2v.dit().config().summary());
  if (index.contains("settings") && index["settings"] != settings) {
    throw Error(index_file.string() + ": cache was built with other settings (" + index["settings"].dump() + ")");
  }
  index["settings"] = settings;
  std::set<std::int64_t> done;
  for (const auto& s : existing.shards) done.insert(s.job);

  // The teacher samples: a model with linear layers (a sidecar installed) caches softmax runs.
  model::WanDiT& dit = t2v.dit();
  const model::AttentionStateScope modes(dit, model::AttentionStateScope::Depth::Modes);
  for (std::int64_t l = 0; l < dit.num_layers(); ++l) dit.attention_state(l).mode = model::AttentionMode::Softmax;

  CacheSummary sum;
  const std::int64_t jobs = static_cast<std::int64_t>(o.prompts.size()) * o.seeds;
  for (std::int64_t job = 0; job < jobs; ++job) {
    if (done.count(job)) continue;
    if (o.max_jobs >= 0 && sum.new_shards >= o.max_jobs) break;
    if (cancel && cancel->cancelled()) break;
    pipeline::GenerationSettings s = base;
    s.prompt = o.prompts[static_cast<std::size_t>(job / o.seeds)];
    s.seed = base.seed + static_cast<std::uint64_t>(job % o.seeds);
    std::vector<at::Tensor> xs, us;
    std::vector<double> ts, sigmas;
    pipeline::Callbacks cb;
    cb.on_state = [&](const at::Tensor& x, double t, double sigma, const at::Tensor& v) {
      xs.push_back(x.detach().to(at::kCPU, at::kFloat));
      us.push_back(v.detach().to(at::kCPU, at::kFloat));
      ts.push_back(t);
      sigmas.push_back(sigma);
    };
    const at::Tensor context = t2v.encode_prompt(s.prompt);
    const at::Tensor negative = t2v.encode_prompt(pipeline::TextToVideo::negative_prompt_of(s));
    const auto r = t2v.sample(context, negative, t2v.initial_noise(s), s, cb);
    const std::string name = shard_name(job);
    const std::vector<std::pair<std::string, at::Tensor>> tensors = {
        {"x_t", at::cat(xs, 0)}, {"u_t", at::cat(us, 0)}, {"t", at::tensor(ts, at::kDouble)},
        {"sigma", at::tensor(sigmas, at::kDouble)}, {"context", context.to(at::kCPU, at::kFloat)},
        {"negative_context", negative.to(at::kCPU, at::kFloat)}, {"x_final", r.latents.to(at::kCPU, at::kFloat)}};
    io::write_safetensors((fs::path(o.dir) / name).string(), tensors,
                          {{"prompt", s.prompt}, {"seed", std::to_string(s.seed)}});
    const auto bytes = static_cast<std::int64_t>(fs::file_size(fs::path(o.dir) / name));
    index["shards"].push_back({{"job", job}, {"file", name}, {"prompt", s.prompt}, {"seed", s.seed},
                               {"states", static_cast<std::int64_t>(xs.size())}, {"bytes", bytes}});
    write_index(index_file, index);  // the commit point of this shard
    ++sum.new_shards;
    if (o.on_shard) o.on_shard(std::min(jobs, static_cast<std::int64_t>(done.size()) + sum.new_shards), jobs);
    if (log) log("cache: " + name + " (" + std::to_string(xs.size()) + " states, " + std::to_string(bytes / 1024) + " KiB) " + s.prompt);
  }
  for (const auto& s : index["shards"]) {  // validated above, or written here
    ++sum.shards;
    sum.states += s.value("states", std::int64_t{0});
    sum.bytes += s.value("bytes", std::int64_t{0});
  }
  sum.complete = sum.shards == jobs;
  index["total_states"] = sum.states;
  index["total_bytes"] = sum.bytes;
  write_index(index_file, index);
  return sum;
}


std::string trajectory_cache_digest(const std::string& dir) {
  const fs::path index_file = fs::path(dir) / "index.json";
  if (!fs::exists(index_file)) throw Error(dir + ": not a trajectory cache (no index.json; build one with `linvideo cache`)");
  return read_index(index_file).digest;
}

CacheContents read_trajectory_cache(const std::string& dir) {
  const fs::path index_file = fs::path(dir) / "index.json";
  if (!fs::exists(index_file)) throw Error(dir + ": not a trajectory cache (no index.json; build one with `linvideo cache`)");
  const CacheIndex index = read_index(index_file);
  CacheContents out;
  out.digest = index.digest;
  out.guidance = index.guidance;
  out.steps = static_cast<int>(index.steps);
  for (const CacheShardEntry& entry : index.shards) {
    const std::string file = (fs::path(dir) / entry.file).string();
    const io::SafetensorsFile shard(file);
    CachedTrajectory c;
    c.file = file;
    c.prompt = entry.prompt;
    auto get = [&](const char* name) { return shard.tensor(name).clone(); };
    c.x_t = get("x_t").to(at::kFloat), c.u_t = get("u_t").to(at::kFloat);
    c.t = get("t").to(at::kDouble), c.sigma = get("sigma").to(at::kDouble);
    c.context = get("context").to(at::kFloat), c.negative_context = get("negative_context").to(at::kFloat);
    if (c.x_t.dim() != 5 || c.u_t.sizes() != c.x_t.sizes() || c.t.numel() != c.x_t.size(0) ||
        c.sigma.numel() != c.x_t.size(0) || c.x_t.size(0) < 2) {
      throw Error(file + ": shard tensors x_t, u_t, t, sigma do not agree in shape");
    }
    out.trajectories.push_back(std::move(c));
  }
  if (out.trajectories.empty()) throw Error(dir + ": trajectory cache has no shards yet");
  return out;
}

}  // namespace linvideo::method
