// `linvideo generate`: prompt in, clip out, with a progress bar and a clean Ctrl-C.
#include <ATen/ATen.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>

#include "app/linvideo/run_control.h"
#include "app/linvideo/commands.h"
#include "app/linvideo/layer_options.h"
#include "core/engine/engine.h"
#include "core/engine/files.h"
#include "core/error.h"
#include "core/format_duration.h"
#include "core/pipeline/model_loader.h"
#include "core/version.h"
#include "core/pipeline/clip_tags.h"
#ifdef LINVIDEO_WITH_MEDIA
#include "core/pipeline/video_frames.h"
#include "core/media/video_io.h"
#endif

namespace linvideo::cli {
namespace {

void draw_progress(const pipeline::StepProgress& p) {
  const int width = 30, filled = p.total ? width * p.step / p.total : width;
  std::fprintf(stderr, "\r[%s%s] step %d/%d  %.2f s/step  elapsed %s  ETA %s ", std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), p.step, p.total, p.seconds_per_step,
               format_duration(p.elapsed_s).c_str(), format_duration(p.eta_s).c_str());
  if (p.step == p.total) std::fprintf(stderr, "\n");
}

struct Args {
  std::string model, dit, vae, text_encoder, tokenizer, dit_config, random_model;
  LayerOptions layers;
  pipeline::GenerationSettings s;
  std::string negative;
  bool negative_given = false;
  std::string sampler = "unipc", grid = "wan";
  std::string device = "auto", dtype = "auto", text_device = "auto";
  std::string out = "linvideo.mp4", save_latents;
  bool random_text = false, no_memory_plan = false;
  std::int64_t vae_tile = -1;
  int crf = 18;
};

void write_clip(const Args& a, const engine::Clip& clip) {
#ifdef LINVIDEO_WITH_MEDIA
  const media::VideoFrames frames = pipeline::to_video_frames(clip.result.video);
  media::VideoWriteOptions opts;
  opts.crf = a.crf;
  opts.metadata = pipeline::clip_tags(clip.settings, clip.model_name, clip.modes, clip.student);
  media::write_video(a.out, frames, opts);
#else
  (void)clip;
  throw Error(a.out + ": this build has no media library; use --save-latents");
#endif
}

void run_generate(Args& a, const CLI::App& cmd) {
  const auto started = std::chrono::steady_clock::now();
  const engine::LayerChoice layers = layer_choice(a.layers);  // contradictions fail before any work
  if (!sampling::parse_solver(a.sampler, &a.s.solver)) throw Error("--sampler must be unipc or euler (got '" + a.sampler + "')");
  if (!sampling::parse_grid(a.grid, &a.s.grid)) throw Error("--grid must be wan or diffusers (got '" + a.grid + "')");
  if (a.negative_given) {
    a.s.negative_prompt = a.negative;
    a.s.use_default_negative = false;
  }
#ifdef LINVIDEO_WITH_MEDIA
  if (!a.out.empty()) media::format_for_path(a.out);  // a bad --out fails before any work
#endif
  if (a.model.empty() && a.dit.empty() && a.random_model.empty()) a.model = pipeline::default_model_dir();
  if (!a.model.empty()) {
    pipeline::resolve_model_folder(a.model);  // a bad folder fails before the defaults are read
    // The folder's recommended settings fill every option the user did not give.
    const pipeline::GenerationSettings d = pipeline::model_defaults(a.model, a.s);
    if (!cmd.count("--steps")) a.s.steps = d.steps;
    if (!cmd.count("--guidance")) a.s.guidance = d.guidance;
    if (!cmd.count("--shift")) a.s.shift = d.shift;
    if (!cmd.count("--frames")) a.s.frames = d.frames;
    if (!cmd.count("--height")) a.s.height = d.height;
    if (!cmd.count("--width")) a.s.width = d.width;
    if (!a.negative_given && !d.use_default_negative) {
      a.s.negative_prompt = d.negative_prompt;
      a.s.use_default_negative = false;
    }
  }
  engine::LoadRequest load;
  load.folder = a.model;
  load.dit = a.dit, load.vae = a.vae, load.text_encoder = a.text_encoder, load.tokenizer = a.tokenizer;
  load.dit_config = a.dit_config;
  load.random_model = a.random_model;
  load.random_text = a.random_text;
  load.device = a.device, load.dtype = a.dtype, load.text_device = a.text_device;
  load.memory_plan = !a.no_memory_plan;
  load.vae_tile = a.vae_tile;
  load.seed = a.s.seed;
  engine::ClipRequest request;
  request.settings = a.s;
  // As in the studio, a model folder's shipped sidecar applies unless --teacher is given.
  request.layers = layers;
  std::fprintf(stderr, "%s\n", version_string().c_str());

  pipeline::CancelToken cancel;
  const SigintCancels sigint(cancel);
  pipeline::Callbacks cb;
  cb.cancel = &cancel;
  cb.on_step = draw_progress;
  cb.on_log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  const engine::Clip clip = engine::Engine::generate_once(load, request, cb);
  if (!clip.student.empty() && (cmd.count("--steps") || cmd.count("--guidance") || cmd.count("--sampler")))
    std::fprintf(stderr, "note: --steps/--guidance/--sampler are ignored with a student (its schedule is used)\n");
  const pipeline::SampleResult& result = clip.result.sampling;
  std::fprintf(stderr, "sampling: %d steps, %d DiT forwards, %.2f s (%.3f s per forward)\n", result.steps_done,
               result.dit_forwards, result.dit_seconds, result.dit_seconds / std::max(1, result.dit_forwards));
  if (!a.save_latents.empty()) {
    engine::save_latents(a.save_latents, clip);
    std::fprintf(stderr, "latents saved to %s\n", a.save_latents.c_str());
  }
  if (clip.cancelled()) {
    std::fprintf(stderr, "\ncancelled after step %d of %d; no clip written\n", result.steps_done, clip.settings.steps);
    throw CLI::RuntimeError(130);
  }
  const at::Tensor& video = clip.result.video;
  std::fprintf(stderr, "decode: %.2f s -> %lld frames %lldx%lld\n", clip.result.decode_seconds, (long long)video.size(0),
               (long long)video.size(2), (long long)video.size(3));
  write_clip(a, clip);
  std::fprintf(stderr, "total: %.2f s (load, text, sampling, decode, write)\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  std::printf("%s\n", a.out.c_str());
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Generate a clip from a prompt");
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "Model folder (diffusers or original Wan layout; default: the embedded shapes model)");
  cmd->add_option("--dit", a->dit, "DiT weights (file, index or folder; ComfyUI single files too)");
  cmd->add_option("--dit-config", a->dit_config, "DiT config.json when none sits beside the weights");
  cmd->add_option("--random-model", a->random_model, "1.3B or 14B with random weights (timing runs; no files)");
  cmd->add_option("--vae", a->vae, "VAE weights (.safetensors or .pth)");
  cmd->add_option("--text-encoder", a->text_encoder, "umT5 encoder weights (.safetensors or .pth)");
  cmd->add_option("--tokenizer", a->tokenizer, "spiece.model of the umT5 tokenizer");
  cmd->add_flag("--random-text", a->random_text, "No text encoder: deterministic random embeddings per prompt");
  cmd->add_option("-p,--prompt", a->s.prompt, "The prompt")->required();
  cmd->add_option("--negative", a->negative, "Negative prompt (default: Wan's list)")->each([a](const std::string&) { a->negative_given = true; });
  cmd->add_option("--seed", a->s.seed, "Noise seed")->capture_default_str();
  cmd->add_option("--steps", a->s.steps, "Sampling steps")->capture_default_str();
  cmd->add_option("--guidance", a->s.guidance, "Classifier-free guidance scale")->capture_default_str();
  cmd->add_option("--shift", a->s.shift, "Flow shift")->capture_default_str();
  cmd->add_option("--frames", a->s.frames, "Frames (4k+1)")->capture_default_str();
  cmd->add_option("--height", a->s.height, "Height in pixels (multiple of 16)")->capture_default_str();
  cmd->add_option("--width", a->s.width, "Width in pixels (multiple of 16)")->capture_default_str();
  cmd->add_option("--sampler", a->sampler, "unipc or euler")->capture_default_str();
  cmd->add_option("--grid", a->grid, "sigma grid: wan or diffusers")->capture_default_str();
  cmd->add_option("--device", a->device, "auto, cpu or cuda")->capture_default_str();
  cmd->add_option("--dtype", a->dtype, "DiT precision: auto, fp32 or bf16")->capture_default_str();
  cmd->add_option("--text-device", a->text_device, "auto, cpu or cuda")->capture_default_str();
  cmd->add_flag("--no-memory-plan", a->no_memory_plan, "Keep every model resident; decode untiled");
  cmd->add_option("--vae-tile", a->vae_tile, "Tiled decode tile in latent pixels (0 = off; default by policy)");
  cmd->add_option("-o,--out", a->out, "Output clip: .mp4, .mkv (lossless), .y4m or frames_%05d.png")->capture_default_str();
  add_layer_options(cmd, a->layers);
  cmd->add_option("--crf", a->crf, "H.264 quality (lower is better)")->capture_default_str();
  cmd->add_option("--save-latents", a->save_latents, "Also save the final latents (.safetensors)");
  cmd->callback([a, cmd] { run_generate(*a, *cmd); });
}

}  // namespace linvideo::cli
