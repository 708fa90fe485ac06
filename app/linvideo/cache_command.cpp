// `linvideo cache`: the teacher's trajectories as LinVideo's data-free training set.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/linvideo/commands.h"
#include "core/prompts_file.h"
#include "app/linvideo/run_control.h"
#include "core/engine/engine.h"
#include "core/error.h"

namespace linvideo::cli {

void add_cache_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("cache", "Build or resume a trajectory cache: every (x_t, t, prompt, u_t) of the teacher");
  struct Args {
    std::string model, prompts, device = "auto";
    engine::CacheRequest request;
  };
  auto a = std::make_shared<Args>();
  auto& r = a->request;
  cmd->add_option("--model", a->model, "Teacher model folder (default: the embedded shapes model)");
  cmd->add_option("--prompts", a->prompts, "Prompts file, one per line")->required();
  cmd->add_option("--seeds", r.seeds, "Seeds per prompt")->capture_default_str();
  cmd->add_option("--steps", r.steps, "Sampler steps (0: the model's default)")->capture_default_str();
  cmd->add_option("--out", r.dir, "Cache folder (resumed when it exists)")->required();
  cmd->add_option("--max-jobs", r.max_jobs, "Stop after this many new shards")->capture_default_str();
  cmd->add_option("--device", a->device, "auto, cpu or cuda")->capture_default_str();
  cmd->callback([a] {
    a->request.prompts = read_prompt_lines(a->prompts);
    engine::LoadRequest load;
    load.folder = a->model;
    load.device = a->device;
    engine::Engine engine;
    engine.load(load);
    pipeline::CancelToken cancel;
    const SigintCancels sigint(cancel);
    engine::TrainCallbacks cb;
    cb.cancel = &cancel;
    cb.on_log = [](const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); };
    const auto s = engine.cache(a->request, cb);
    std::printf("cache %s: %lld shards, %lld states, %.1f MB%s\n", a->request.dir.c_str(), (long long)s.shards,
                (long long)s.states, s.bytes / 1e6, s.complete ? " (complete)" : " (partial: run again to resume)");
    if (cancel.cancelled()) throw CLI::RuntimeError(130);
  });
}

}  // namespace linvideo::cli
