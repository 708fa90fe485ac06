// `linvideo eval` (score clips against their shapes-world prompts) and `linvideo shapes`
// (ground-truth clips and prompt lists of the shapes world).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <ATen/core/grad_mode.h>

#include "app/linvideo/commands.h"
#include "app/linvideo/layer_options.h"
#include "core/prompts_file.h"
#include "core/pipeline/video_frames.h"
#include "core/engine/engine.h"
#include "core/pipeline/model_loader.h"
#include "core/error.h"
#include "core/atomic_write.h"
#include "core/media/generation_metadata.h"
#include "core/media/video_io.h"
#include "core/shapes/render.h"
#include "core/shapes/report.h"

namespace linvideo::cli {
namespace {

namespace fs = std::filesystem;

bool is_clip(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".mp4" || ext == ".mkv" || ext == ".y4m";
}

// The prompt of one clip (see the --clips help): the prompts file line its leading number names,
// else a sidecar <stem>.txt, else the `linvideo` generation tag of the container.
std::string prompt_for(const fs::path& clip, const media::VideoMetadata& metadata,
                       const std::vector<std::string>& prompts, const std::string& prompts_path) {
  const std::string name = clip.filename().string();
  if (!prompts.empty()) {
    std::size_t digits = 0;
    while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) ++digits;
    if (digits == 0 || digits > 9) {
      throw Error("eval: clip " + clip.string() + " does not start with the index of its line in " +
                  prompts_path + " (name clips NNNN_*.mp4, counted from 0)");
    }
    const std::size_t index = std::stoul(name.substr(0, digits));
    if (index >= prompts.size()) {
      throw Error("eval: clip " + clip.string() + " names line " + std::to_string(index) + " but " +
                  prompts_path + " has " + std::to_string(prompts.size()) + " prompts");
    }
    return prompts[index];
  }
  fs::path sidecar = clip;
  sidecar.replace_extension(".txt");
  if (fs::exists(sidecar)) return read_prompt_lines(sidecar.string()).front();
  try {
    return media::generation_settings_from_metadata(metadata, clip.string()).prompt;
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (give --prompts FILE or a sidecar " +
                sidecar.filename().string() + ")");
  }
}

// The reference for `clip`: the same file name in `dir`, else the same stem with any clip
// extension.
fs::path reference_for(const fs::path& clip, const fs::path& dir) {
  if (fs::exists(dir / clip.filename())) return dir / clip.filename();
  for (const char* ext : {".mkv", ".mp4", ".y4m"}) {
    const fs::path candidate = dir / (clip.stem().string() + ext);
    if (fs::exists(candidate)) return candidate;
  }
  throw Error("eval: no reference for clip " + clip.string() + " in " + dir.string());
}

struct EvalArgs {
  std::string clips, prompts, reference, out;
  // Generation mode (model -> clips -> scores), added with the embedded model.
  std::string model, device = "auto";
  int seeds = 4, steps = 0;
  std::string save_clips;
  LayerOptions layers;  // as `generate`: the folder's shipped sidecar unless --teacher, ...
};

void write_report(const std::vector<shapes::ClipResult>& results, const std::string& out_path);

// Generation mode: every prompt of --prompts with --seeds seeds through the pipeline, scored as
// it comes out (nothing is written unless --save-clips names a folder).
void run_generated_eval(const EvalArgs& a) {
  if (a.prompts.empty()) throw Error("eval: give --clips DIR, or --prompts FILE to generate from");
  if (a.seeds < 1) throw Error("eval: --seeds must be at least 1");
  const std::vector<std::string> prompts = read_prompt_lines(a.prompts);
  const engine::LayerChoice choice = layer_choice(a.layers);
  engine::Engine eng;
  engine::LoadRequest load;
  load.folder = a.model;  // empty: the embedded model
  load.device = a.device;
  pipeline::Callbacks log;
  log.on_log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  eng.load(load, log);
  pipeline::GenerationSettings base = eng.defaults();
  if (a.steps > 0) base.steps = a.steps;
  // The layers once, for every clip: maps a sidecar does not bring are fitted on the first
  // prompt's trajectory; a student's schedule applies to every clip.
  pipeline::GenerationSettings calibration = base;
  calibration.prompt = prompts.front();
  eng.set_layers(choice, calibration, log);
  if (!a.save_clips.empty()) fs::create_directories(a.save_clips);
  std::vector<shapes::ClipResult> results;
  int index = 0;
  for (const std::string& prompt : prompts) {
    const shapes::SceneSpec scene = shapes::parse_prompt(prompt);
    for (int seed = 0; seed < a.seeds; ++seed, ++index) {
      pipeline::GenerationSettings s = base;
      s.prompt = prompt;
      s.seed = static_cast<std::uint64_t>(seed);
      const engine::Clip clip = eng.generate({s, {}});
      const pipeline::GenerateResult& g = clip.result;
      const media::VideoFrames frames = pipeline::to_video_frames(g.video);
      shapes::ClipResult r;
      char name[32];
      std::snprintf(name, sizeof name, "%04d_seed%d", index, seed);
      r.clip = name;
      r.prompt = prompt;
      r.score = shapes::score_clip(frames, scene);
      if (!a.save_clips.empty()) media::write_video((fs::path(a.save_clips) / (r.clip + ".mkv")).string(), frames);
      std::fprintf(stderr, "[%d/%zu] %.1f  %s (seed %d, %.1f s)\n", index + 1, prompts.size() * a.seeds,
                   r.score.total, prompt.c_str(), seed, g.total_seconds);
      results.push_back(std::move(r));
    }
  }
  write_report(results, a.out);
}

void run_eval(const EvalArgs& a) {
  if (a.clips.empty()) return run_generated_eval(a);
  if (!fs::is_directory(a.clips)) throw Error("eval: --clips " + a.clips + " is not a folder");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(a.clips)) {
    if (entry.is_regular_file() && is_clip(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error("eval: no .mp4, .mkv or .y4m clips in " + a.clips);
  const std::vector<std::string> prompts =
      a.prompts.empty() ? std::vector<std::string>{} : read_prompt_lines(a.prompts);

  std::vector<shapes::ClipResult> results;
  for (const fs::path& file : files) {
    media::VideoFile video = media::read_video(file.string());
    shapes::ClipResult r;
    r.clip = file.filename().string();
    r.prompt = prompt_for(file, video.metadata, prompts, a.prompts);
    shapes::SceneSpec scene;
    try {
      scene = shapes::parse_prompt(r.prompt);
    } catch (const Error& e) {
      throw Error("eval: clip " + file.string() + ": " + e.what());
    }
    r.score = shapes::score_clip(video.frames, scene);
    if (!a.reference.empty()) {
      const fs::path ref = reference_for(file, a.reference);
      r.fidelity =
          shapes::fidelity(video.frames, media::read_video(ref.string()).frames, ref.string());
    }
    results.push_back(std::move(r));
  }

  write_report(results, a.out);
}

void write_report(const std::vector<shapes::ClipResult>& results, const std::string& out_path) {
  std::fputs(shapes::report_table(results).c_str(), stdout);
  const nlohmann::json report = shapes::report_json(results);
  std::printf("total: %.2f over %zu clips\n", report.at("total").get<double>(), results.size());
  if (report.contains("fidelity")) {
    std::printf("fidelity: PSNR %.2f dB, SSIM %.4f\n", report["fidelity"]["psnr"].get<double>(),
                report["fidelity"]["ssim"].get<double>());
  }
  if (!out_path.empty()) {
    write_text_atomically(out_path, report.dump(2) + "\n");  // never a half-written report
    std::printf("report: %s\n", out_path.c_str());
  }
}

struct RenderArgs {
  std::string prompt, out;
  std::string through_vae;  // model folder: round-trip the clip through its VAE (the VAE's ceiling)
  std::uint64_t seed = 0;
  shapes::RenderOptions options;
};

// Encodes and decodes a clip with a model's VAE: what the DiT could at best produce.
media::VideoFrames vae_round_trip(const media::VideoFrames& frames, const std::string& model) {
  const auto sources = pipeline::resolve_model_folder(model);
  const auto vae = pipeline::load_vae(sources.vae, pipeline::RuntimePolicy::make("cpu", "auto"));
  at::NoGradGuard no_grad;
  const at::Tensor rgb = at::from_blob(const_cast<std::uint8_t*>(frames.rgb.data()),
                                       {frames.count, frames.height, frames.width, 3}, at::kByte);
  const at::Tensor video = (rgb.to(at::kFloat) / 127.5 - 1).permute({3, 0, 1, 2}).unsqueeze(0).contiguous();
  const at::Tensor out = vae->decode(vae->encode(video))[0].permute({1, 0, 2, 3});  // [F, 3, H, W]
  return pipeline::to_video_frames((out + 1) / 2, frames.fps);
}

void run_render(const RenderArgs& a) {
  const shapes::SceneSpec scene = shapes::parse_prompt(a.prompt);
  media::VideoFrames frames = shapes::render_scene(scene, a.seed, a.options);
  if (!a.through_vae.empty()) frames = vae_round_trip(frames, a.through_vae);
  media::GenerationSettings settings;
  settings.prompt = a.prompt;
  settings.seed = static_cast<std::int64_t>(a.seed);
  settings.model = "shapes-ground-truth";
  media::VideoWriteOptions write;
  write.metadata = media::generation_metadata(settings);
  media::write_video(a.out, frames, write);
  std::printf("%s: %d frames of %dx%d, %s\n", a.out.c_str(), frames.count, frames.width,
              frames.height, to_string(shapes::split_of(scene)));
}

struct PromptArgs {
  std::string split = "all", out;
  int objects = 1, count = 100;
  std::uint64_t seed = 0;
};

void run_prompts(const PromptArgs& a) {
  auto wanted = [&a](const shapes::SceneSpec& s) {
    return a.split == "all" || (a.split == "train") == !shapes::is_held_out(s);
  };
  std::vector<std::string> lines;
  if (a.objects == 1) {
    for (const shapes::SceneSpec& s : shapes::all_one_object_scenes()) {
      if (wanted(s)) lines.push_back(shapes::to_prompt(s));
    }
  } else {
    std::vector<std::string> seen;
    for (std::uint64_t i = 0; static_cast<int>(lines.size()) < a.count && i < 100u * a.count; ++i) {
      const shapes::SceneSpec s = shapes::sample_scene(a.seed * 1000003u + i, 1.0);
      const std::string p = shapes::to_prompt(s);
      if (wanted(s) && std::find(lines.begin(), lines.end(), p) == lines.end()) lines.push_back(p);
    }
  }
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  if (a.out.empty()) {
    std::fputs(text.c_str(), stdout);
    return;
  }
  std::ofstream out(a.out);
  if (!(out << text) || !out.flush()) throw Error("shapes prompts: cannot write " + a.out);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "eval", "Score shapes-world clips against their prompts (JSON report and a table)");
  auto a = std::make_shared<EvalArgs>();
  cmd->add_option("--clips", a->clips,
                  "Folder of .mp4/.mkv/.y4m clips to score. Each clip's prompt: with --prompts, "
                  "the line (from 0) its leading number names (0007_seed1.mp4 -> line 7); else "
                  "a sidecar <stem>.txt; else the prompt in the clip's linvideo tag");
  cmd->add_option("--prompts", a->prompts, "Prompts file, one per line (blank lines skipped)");
  cmd->add_option("--reference", a->reference,
                  "Folder of reference clips (same file name, or same stem) for PSNR and SSIM");
  cmd->add_option("--out", a->out, "Write the JSON report here");
  // Generation mode: accepted now so scripts can be written; it fails until wired (see run_eval).
  cmd->add_option("--model", a->model, "Model folder to generate with (default: embedded)");
  cmd->add_option("--seeds", a->seeds, "Seeds per prompt when generating")->capture_default_str();
  add_layer_options(cmd, a->layers);  // when generating
  cmd->add_option("--save-clips", a->save_clips, "When generating: also write each clip (lossless .mkv) here");
  cmd->add_option("--steps", a->steps, "Sampling steps when generating (0: model default)")
      ->capture_default_str();
  cmd->add_option("--device", a->device, "auto, cpu or cuda when generating")
      ->capture_default_str();
  cmd->callback([a] { run_eval(*a); });
}

void add_shapes_command(CLI::App& app) {
  auto* shapes_cmd =
      app.add_subcommand("shapes", "The shapes world: ground-truth clips and prompt lists");
  shapes_cmd->require_subcommand(1);

  auto* render = shapes_cmd->add_subcommand("render", "Render the ground-truth clip of a prompt");
  auto r = std::make_shared<RenderArgs>();
  render->add_option("--prompt,-p", r->prompt, "A shapes-world prompt")->required();
  render->add_option("--seed", r->seed, "Placement seed")->capture_default_str();
  render->add_option("--out", r->out, "Output clip (.mp4, .mkv, .y4m or frames_%05d.png)")
      ->required();
  render->add_option("--size", r->options.side, "Frame side in pixels (96..256)")
      ->capture_default_str();
  render->add_option("--frames", r->options.frames, "Frames (1 + 4k, at least 17)")
      ->capture_default_str();
  render->add_option("--fps", r->options.fps, "Frames per second")->capture_default_str();
  render->add_option("--through-vae", r->through_vae,
                     "Round-trip the clip through this model folder's VAE (its quality ceiling)");
  render->callback([r] { run_render(*r); });

  auto* prompts = shapes_cmd->add_subcommand("prompts", "List prompts of the world");
  auto p = std::make_shared<PromptArgs>();
  prompts->add_option("--split", p->split, "all, train or held-out")
      ->check(CLI::IsMember({"all", "train", "held-out"}))
      ->capture_default_str();
  prompts->add_option("--objects", p->objects, "1: every one-object prompt; 2: a seeded sample")
      ->check(CLI::Range(1, 2))
      ->capture_default_str();
  prompts->add_option("--count", p->count, "Two-object prompts to sample")->capture_default_str();
  prompts->add_option("--seed", p->seed, "Sampling seed for two-object prompts")
      ->capture_default_str();
  prompts->add_option("--out", p->out, "Write here instead of stdout");
  prompts->callback([p] { run_prompts(*p); });
}

}  // namespace linvideo::cli
