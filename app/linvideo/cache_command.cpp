// `linvideo cache`: the teacher's trajectories as LinVideo's data-free training set.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>

#include "app/linvideo/run_control.h"
#include "app/linvideo/commands.h"
#include "app/linvideo/prompt_file.h"
#include "core/error.h"
#include "core/linvideo/trajectory_cache.h"
#include "core/pipeline/model_loader.h"

namespace linvideo::cli {

void add_cache_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("cache", "Build or resume a trajectory cache: every (x_t, t, prompt, u_t) of the teacher");
  struct Args {
    std::string model, prompts, device = "auto";
    linvideo_method::CacheOptions o;
    int steps = 0;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "Teacher model folder (default: the embedded shapes model)");
  cmd->add_option("--prompts", a->prompts, "Prompts file, one per line")->required();
  cmd->add_option("--seeds", a->o.seeds, "Seeds per prompt")->capture_default_str();
  cmd->add_option("--steps", a->steps, "Sampler steps (0: the model's default)")->capture_default_str();
  cmd->add_option("--out", a->o.dir, "Cache folder (resumed when it exists)")->required();
  cmd->add_option("--max-jobs", a->o.max_jobs, "Stop after this many new shards")->capture_default_str();
  cmd->add_option("--device", a->device, "auto, cpu or cuda")->capture_default_str();
  cmd->callback([a] {
    a->o.prompts = read_prompt_lines(a->prompts);
    const std::string model = a->model.empty() ? pipeline::default_model_dir() : a->model;
    auto t2v = pipeline::load_text_to_video(pipeline::resolve_model_folder(model),
                                            pipeline::RuntimePolicy::make(a->device, "auto"));
    auto base = pipeline::model_defaults(model, pipeline::GenerationSettings{});
    if (a->steps > 0) base.steps = a->steps;
    pipeline::CancelToken cancel;
    const SigintCancels sigint(cancel);
    const auto s = linvideo_method::build_trajectory_cache(
        *t2v, base, a->o, [](const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); }, &cancel);
    std::printf("cache %s: %lld shards, %lld states, %.1f MB%s\n", a->o.dir.c_str(), (long long)s.shards,
                (long long)s.states, s.bytes / 1e6, s.complete ? " (complete)" : " (partial: run again to resume)");
    if (cancel.cancelled()) throw CLI::RuntimeError(130);
  });
}

}  // namespace linvideo::cli
