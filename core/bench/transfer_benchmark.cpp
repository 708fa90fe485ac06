#include "core/bench/transfer_benchmark.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/method/trajectory_cache.h"
#include "core/method/transfer.h"
#include "core/model/attention.h"
#include "core/model/wan_dit.h"
#include "core/pipeline/model_loader.h"
#include "core/remove_tree.h"

namespace linvideo::bench {
namespace fs = std::filesystem;

namespace {

// The attention backend for a while; the previous one comes back on any exit.
class BackendScope {
 public:
  BackendScope() : before_(model::attention_backend()) {}
  ~BackendScope() { model::set_attention_backend(before_); }
  BackendScope(const BackendScope&) = delete;
  BackendScope& operator=(const BackendScope&) = delete;

 private:
  model::AttentionBackend before_;
};

}  // namespace

TransferBenchResult run_transfer_benchmark(const TransferBenchOptions& a) {
  if (a.steps < 2) throw Error("--steps must be at least 2");
  if (a.skip < 0 || a.skip >= a.steps) throw Error("--skip must be below --steps");
  TransferBenchResult out;
  out.model = a.model.empty() ? pipeline::default_model_dir() : a.model;
  const bool temporary = a.work.empty();
  const fs::path work = temporary ? fs::temp_directory_path() / ("linvideo-bench-transfer-" + std::to_string(::getpid()))
                                  : fs::path(a.work);
  fs::create_directories(work);
  try {
    auto t2v = pipeline::load_text_to_video(pipeline::resolve_model_folder(out.model),
                                            pipeline::RuntimePolicy::make(a.device, "auto"));
    method::CacheOptions c;
    c.dir = (work / "cache").string();
    c.prompts = {"a red circle moving left", "a blue square moving right"};
    auto base = pipeline::model_defaults(out.model, pipeline::GenerationSettings{});
    base.steps = std::min(base.steps, 8);
    method::build_trajectory_cache(*t2v, base, c, {});

    const BackendScope restore;
    for (const auto backend : {model::AttentionBackend::Reference, model::AttentionBackend::Auto}) {
      model::set_attention_backend(backend);
      TransferBenchRow row;
      row.backend = backend == model::AttentionBackend::Reference ? "reference" : "fused";
      method::TransferOptions o;
      o.run_dir = (work / ("run-" + row.backend)).string();
      remove_tree(o.run_dir);
      o.cache_dir = c.dir;
      o.steps = a.steps;
      o.warmup_steps = 0;  // W from the identity: every timed step is a transfer step
      o.checkpoint_every = static_cast<int>(a.steps) + 1;
      o.target_linear = std::max<std::int64_t>(1, t2v->dit().num_layers() / 2);
      std::vector<double> seconds;
      method::run_transfer(*t2v, o, [&](const method::TransferStep& s) { seconds.push_back(s.step_seconds); });
      std::vector<double> ms;  // the steps after the skipped warm-up, in ms
      for (std::size_t i = static_cast<std::size_t>(a.skip); i < seconds.size(); ++i) ms.push_back(1000 * seconds[i]);
      if (ms.empty()) throw Error("bench transfer: no steps were timed");
      row.stats = timing_stats(ms);
      out.rows.push_back(row);
    }
  } catch (...) {
    if (temporary) remove_tree(work.string());
    throw;
  }
  if (temporary) remove_tree(work.string());
  return out;
}

}  // namespace linvideo::bench
