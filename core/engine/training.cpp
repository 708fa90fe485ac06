// Engine::cache, transfer and distill (core/engine/training.h): the one place where a cache, a
// transfer run or a distillation run is set up, for the CLI and the studio alike.
#include "core/engine/training.h"

#include <filesystem>

#include "core/engine/engine.h"
#include "core/error.h"
#include "core/method/sidecar.h"
#include "core/model/attention_scope.h"
#include "core/model/wan_dit.h"
#include "core/train/training_state.h"

namespace linvideo::engine {
namespace fs = std::filesystem;

namespace {

void say(const TrainCallbacks& cb, const std::string& line) {
  if (cb.on_log) cb.on_log(line);
}

}  // namespace

void check_run_folder(const std::string& what, const std::string& run_dir, bool resume) {
  if (run_dir.empty()) throw Error(what + ": give a run folder (--run DIR)");
  const train::Progress progress = train::read_progress(run_dir);
  if (progress.step > 0 && !resume) {
    throw Error(what + ": " + run_dir + " already holds a run at step " + std::to_string(progress.step) +
                "; pass --resume to continue it, or choose a new --run folder");
  }
}

void Engine::require_base_model(const std::string& what) const {
  if (!student().empty())
    throw Error(what + ": the loaded model is a distilled student (" + student() +
                "); load the base model to train");
}

method::CacheSummary Engine::cache(const CacheRequest& request, const TrainCallbacks& cb) {
  require_base_model("cache");
  pipeline::GenerationSettings base = defaults();
  if (request.steps < 0) throw Error("cache: --steps must be 0 (the model's default) or more");
  if (request.steps > 0) base.steps = request.steps;
  method::CacheOptions o;
  o.dir = request.dir;
  o.prompts = request.prompts;
  o.seeds = request.seeds;
  o.max_jobs = request.max_jobs;
  o.on_shard = cb.on_cache;
  return method::build_trajectory_cache(text_to_video(), base, o, cb.on_log, cb.cancel);
}

TransferOutcome Engine::transfer(const TransferRequest& request, const TrainCallbacks& cb) {
  require_base_model("transfer");
  check_run_folder("transfer", request.options.run_dir, request.resume);
  pipeline::TextToVideo& t2v = text_to_video();
  model::WanDiT& dit = t2v.dit();
  method::TransferOptions o = request.options;
  if (!request.layers.empty()) {
    o.fixed_linear = method::parse_layer_list(request.layers, static_cast<int>(dit.num_layers()), "--layers");
    o.target_linear = static_cast<std::int64_t>(o.fixed_linear.size());
  }
  if (o.cache_dir.empty()) o.cache_dir = (fs::path(o.run_dir) / "cache").string();

  TransferOutcome out;
  // 1. The data-free training set: built, resumed or reused.
  if (!request.cache.prompts.empty()) {
    CacheRequest c = request.cache;
    c.dir = o.cache_dir;
    out.cache = cache(c, cb);
    say(cb, "cache " + c.dir + ": " + std::to_string(out.cache.shards) + " trajectories, " +
                std::to_string(out.cache.states) + " states");
    if (cb.cancel && cb.cancel->cancelled() && !out.cache.complete) {
      out.cancelled_while_caching = true;
      return out;
    }
  } else if (!fs::exists(fs::path(o.cache_dir) / "index.json")) {
    throw Error("transfer: " + o.cache_dir +
                " holds no trajectory cache; give prompts (--prompts FILE) to build one, or --cache DIR");
  }

  // 2. Training. The trainer leaves the DiT in its training modes (mixed, r trained): the model's
  // layers come back as they were, and a finished run's sidecar then replaces them.
  {
    const model::AttentionStateScope before(dit);
    out.run = method::run_transfer(t2v, o, cb.on_transfer_step, cb.on_log, cb.cancel);
  }
  if (request.install && !out.run.cancelled && !out.run.sidecar.empty()) {
    method::load_sidecar(out.run.sidecar, dit);
    note_installed_sidecar(out.run.sidecar);
    say(cb, "linvideo: " + out.run.sidecar + " installed");
  }
  return out;
}

method::DistillResult Engine::distill(const DistillRequest& request, const TrainCallbacks& cb) {
  require_base_model("distill");
  check_run_folder("distill", request.options.run_dir, request.resume);
  method::DistillOptions o = request.options;
  if (o.sidecar.empty()) o.sidecar = sidecar();
  if (o.sidecar.empty())
    throw Error("distill: this model has no LinVideo sidecar to start from; train one (linvideo transfer) and give --sidecar");
  if (!fs::is_regular_file(o.sidecar)) throw Error("distill: " + o.sidecar + ": no such LinVideo sidecar (--sidecar)");
  // The run's identity (config.json) holds the path: the same file from any working folder.
  o.sidecar = fs::absolute(o.sidecar).lexically_normal().string();
  o.settings = defaults();  // latent size, teacher CFG, shift
  if (request.frames > 0) o.settings.frames = request.frames;
  if (request.height > 0) o.settings.height = request.height;
  if (request.width > 0) o.settings.width = request.width;
  return method::run_distill(text_to_video(), o, cb.on_distill_step, cb.on_log, cb.cancel);
}

void Engine::save_sidecar(const std::string& path, const std::string& note, const method::SidecarScores& scores) {
  method::save_sidecar(path, text_to_video().dit(), note, scores);
}

}  // namespace linvideo::engine
