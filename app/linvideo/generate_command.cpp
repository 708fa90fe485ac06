// `linvideo generate`: prompt in, clip out, with a progress bar and a clean Ctrl-C.
#include <ATen/ATen.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <cstdio>

#include "app/linvideo/run_control.h"
#include "app/linvideo/commands.h"
#include "core/error.h"
#include "core/format_duration.h"
#include "core/io/checkpoint.h"
#include "core/io/dit_dialect.h"
#include "core/io/safetensors.h"
#include "core/linvideo/apply.h"
#include "core/linvideo/sidecar.h"
#include "core/linvideo/student.h"
#include "core/model/wan_dit.h"
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
  std::string model, dit, vae, text_encoder, tokenizer, dit_config, random_model, linvideo_sidecar, linear_layers;
  pipeline::GenerationSettings s;
  std::string negative;
  bool negative_given = false;
  std::string sampler = "unipc", grid = "wan";
  std::string device = "auto", dtype = "auto", text_device = "auto";
  std::string out = "linvideo.mp4", save_latents;
  bool teacher = false;  // every layer softmax: the folder's shipped sidecar is not applied
  bool random_text = false, no_memory_plan = false;
  std::int64_t vae_tile = -1;
  int crf = 18;
};

void write_clip(const Args& a, const at::Tensor& video, const model::WanDiT* dit_info, const std::string& model_name,
                const std::vector<std::string>& modes, const std::string& student) {
#ifdef LINVIDEO_WITH_MEDIA
  (void)dit_info;
  const media::VideoFrames frames = pipeline::to_video_frames(video);
  media::VideoWriteOptions opts;
  opts.crf = a.crf;
  opts.metadata = pipeline::clip_tags(a.s, model_name, modes, student);
  media::write_video(a.out, frames, opts);
#else
  (void)video, (void)dit_info, (void)model_name, (void)modes, (void)student;
  throw Error(a.out + ": this build has no media library; use --save-latents");
#endif
}

void run_generate(Args& a, const CLI::App& cmd) {
  const auto started = std::chrono::steady_clock::now();
  if (a.teacher && (!a.linvideo_sidecar.empty() || !a.linear_layers.empty()))
    throw Error("--teacher runs every layer softmax; it cannot be combined with --linvideo or --linear");
  if (!sampling::parse_solver(a.sampler, &a.s.solver)) throw Error("--sampler must be unipc or euler (got '" + a.sampler + "')");
  if (!sampling::parse_grid(a.grid, &a.s.grid)) throw Error("--grid must be wan or diffusers (got '" + a.grid + "')");
  if (a.negative_given) {
    a.s.negative_prompt = a.negative;
    a.s.use_default_negative = false;
  }
#ifdef LINVIDEO_WITH_MEDIA
  if (!a.out.empty()) media::format_for_path(a.out);  // a bad --out fails before any work
#endif
  pipeline::RuntimePolicy policy = pipeline::RuntimePolicy::make(a.device, a.dtype, a.text_device, !a.no_memory_plan);
  if (a.vae_tile >= 0) policy.vae_tile_latent = a.vae_tile;
  pipeline::ModelSources src;
  if (a.model.empty() && a.dit.empty() && a.random_model.empty()) a.model = pipeline::default_model_dir();
  if (!a.model.empty()) {
    src = pipeline::resolve_model_folder(a.model);
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
  if (!a.dit.empty()) src.dit = a.dit;
  if (!a.vae.empty()) src.vae = a.vae;
  if (!a.text_encoder.empty()) src.text_encoder = a.text_encoder;
  if (!a.tokenizer.empty()) src.tokenizer = a.tokenizer;
  const bool random_weights = !a.random_model.empty();
  if (random_weights) {
    if (a.random_model != "1.3B" && a.random_model != "14B") throw Error("--random-model must be 1.3B or 14B");
    a.random_text = true;
  } else if (src.dit.empty() || src.vae.empty()) {
    throw Error("give --model FOLDER, or --dit and --vae (or --random-model 1.3B for a timing run)");
  }
  std::fprintf(stderr, "%s\npolicy: %s\n", version_string().c_str(), policy.describe().c_str());

  pipeline::CancelToken cancel;
  const SigintCancels sigint(cancel);

  // Text first, so with the memory plan the encoder is gone before the DiT arrives.
  model::DitConfig dit_config;  // defaults: Wan 1.3B
  if (random_weights && a.random_model == "14B") {
    dit_config.dim = 5120, dit_config.ffn_dim = 13824, dit_config.num_heads = 40, dit_config.num_layers = 40;
  }
  if (!random_weights) {
    const io::Checkpoint dit_ckpt = io::Checkpoint::open(src.dit);
    const auto detected = model::detect_dit_config(dit_ckpt, io::detect_dit_dialect(dit_ckpt.keys(), dit_ckpt.source()));
    dit_config = a.dit_config.empty() ? detected.config : model::load_dit_config(a.dit_config);
    if (a.dit_config.empty() && !detected.heads_from_config && dit_config.dim % 128 != 0) {
      std::fprintf(stderr, "warning: no config.json beside the DiT; head count guessed (%lld); pass --dit-config\n",
                   (long long)dit_config.num_heads);
    }
  }
  at::Tensor context, negative_context;
  {
    std::shared_ptr<pipeline::PromptEncoder> text;
    if (a.random_text || src.text_encoder.empty()) {
      if (!a.random_text) throw Error("no text encoder found; give --text-encoder and --tokenizer, or --random-text");
      text = std::make_shared<pipeline::HashedPromptEncoder>(dit_config.text_dim, std::min<std::int64_t>(32, dit_config.text_len));
    } else {
      text = pipeline::load_prompt_encoder(src, policy, dit_config.text_len);
    }
    std::fprintf(stderr, "text: %s\n", text->name().c_str());
    if (text->width() != dit_config.text_dim) {
      throw Error(src.text_encoder + ": text encoder width " + std::to_string(text->width()) +
                  " does not match the DiT's text_dim " + std::to_string(dit_config.text_dim) + " (" + src.dit + ")");
    }
    const std::string& neg = a.s.negative_prompt.empty() && a.s.use_default_negative
                                 ? pipeline::wan_default_negative_prompt() : a.s.negative_prompt;
    for (const std::string* p : {static_cast<const std::string*>(&a.s.prompt), &neg}) {
      if (const std::string w = pipeline::truncation_warning(*text, *p); !w.empty()) std::fprintf(stderr, "%s\n", w.c_str());
    }
    context = text->encode(a.s.prompt);
    negative_context = text->encode(neg);
  }
  pipeline::release_cached_device_memory();

  std::shared_ptr<model::WanDiT> dit;
  std::shared_ptr<model::WanVAE> vae;
  if (random_weights) {
    model::DitLoadOptions dopts;
    dopts.device = policy.device;
    dopts.dtype = policy.dit_dtype;
    dit = model::WanDiT::random(dit_config, dopts, a.s.seed);
    model::VaeOptions vopts;
    vopts.device = policy.device;
    vopts.dtype = policy.vae_dtype;
    vopts.tile_latent = policy.vae_tile_latent;
    vae = model::WanVAE::random(model::VaeConfig{}, vopts, a.s.seed + 1);
    std::fprintf(stderr, "weights: RANDOM (timing run; the clip is noise)\n");
  } else {
    dit = pipeline::load_dit(src.dit, policy, a.dit_config);
    vae = pipeline::load_vae(src.vae, policy);
  }
  std::fprintf(stderr, "model: %s\n", dit->config().summary().c_str());
  pipeline::TextToVideo t2v(dit, vae, nullptr);
  std::string sidecar = a.linvideo_sidecar;
  std::string student;  // absolute, for the clip's tags
  if (!sidecar.empty() && linvideo_method::is_student_file(sidecar)) {
    student = std::filesystem::absolute(sidecar).string();
    // A distilled student: its weights, layer modes and few-step schedule (no CFG) replace the
    // sampler options.
    const auto schedule = linvideo_method::load_student(sidecar, *dit);
    linvideo_method::use_few_step_schedule(schedule, a.s);
    std::string ts;
    for (double t : schedule.timesteps()) ts += (ts.empty() ? "" : ", ") + std::to_string(static_cast<int>(std::lround(t)));
    std::fprintf(stderr, "student: %s, %d steps at t = {%s} (shift %g), Euler, no CFG%s\n", sidecar.c_str(), a.s.steps,
                 ts.c_str(), schedule.shift,
                 cmd.count("--steps") || cmd.count("--guidance") || cmd.count("--sampler") ? "; --steps/--guidance/--sampler ignored" : "");
    sidecar.clear();
  }
  // As in the studio, a model folder's shipped sidecar applies unless --teacher (or another
  // sidecar, a student or --linear) is given; one that does not fit is a warning, not an error.
  if (a.teacher) {
    std::fprintf(stderr, "linvideo: --teacher: every layer softmax\n");
  } else if (sidecar.empty() && student.empty() && a.linear_layers.empty() && !a.model.empty()) {
    try {
      const std::string shipped = linvideo_method::load_shipped_sidecar(a.model, *dit);
      if (!shipped.empty())
        std::fprintf(stderr, "linvideo: %s (the folder's sidecar; --teacher for every layer softmax)\n", shipped.c_str());
    } catch (const Error& e) {
      std::fprintf(stderr, "warning: the folder's sidecar was not applied: %s\n", e.what());
    }
  }
  if (!sidecar.empty() || !a.linear_layers.empty()) {
    std::fprintf(stderr, "linvideo: %s\n",
                 linvideo_method::apply_linvideo(t2v, sidecar, a.linear_layers, a.s, {{context, negative_context}}).c_str());
  }
  const std::vector<std::string> modes = pipeline::attention_mode_names(*dit);
  const std::string model_name = dit->config().family();
  const at::Tensor noise = t2v.initial_noise(a.s);
  pipeline::Callbacks cb;
  cb.cancel = &cancel;
  cb.on_step = draw_progress;
  const auto result = t2v.sample(context, negative_context, noise, a.s, cb);
  std::fprintf(stderr, "sampling: %d steps, %d DiT forwards, %.2f s (%.3f s per forward)\n", result.steps_done,
               result.dit_forwards, result.dit_seconds, result.dit_seconds / std::max(1, result.dit_forwards));
  if (!a.save_latents.empty()) {
    io::write_safetensors(a.save_latents, {{"latents", result.latents.to(at::kCPU)}},
                          {{"prompt", a.s.prompt}, {"seed", std::to_string(a.s.seed)}, {"steps_done", std::to_string(result.steps_done)}});
    std::fprintf(stderr, "latents saved to %s\n", a.save_latents.c_str());
  }
  if (result.status == pipeline::Status::Cancelled) {
    std::fprintf(stderr, "\ncancelled after step %d of %d; no clip written\n", result.steps_done, a.s.steps);
    throw CLI::RuntimeError(130);
  }
  if (policy.memory_plan) {
    t2v.release_dit();  // decode needs the memory more than the DiT does now
    dit.reset();
    pipeline::release_cached_device_memory();
  }
  const auto t0 = std::chrono::steady_clock::now();
  const at::Tensor video = t2v.decode(result.latents);
  const double decode_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "decode: %.2f s -> %lld frames %lldx%lld\n", decode_s, (long long)video.size(0),
               (long long)video.size(2), (long long)video.size(3));
  write_clip(a, video, nullptr, model_name, modes, student);
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
  cmd->add_option("--linvideo,--student", a->linvideo_sidecar,
                  "A LinVideo sidecar (per-layer modes and maps) to apply, or a distilled student (linvideo distill; "
                  "its few-step schedule is used)");
  cmd->add_flag("--teacher", a->teacher, "Every layer softmax: do not apply the model folder's shipped LinVideo sidecar");
  cmd->add_option("--linear", a->linear_layers, "Make exactly these layers linear, the rest softmax (1-based, e.g. 2-8,10-13, or a layer-mask .json)");
  cmd->add_option("--crf", a->crf, "H.264 quality (lower is better)")->capture_default_str();
  cmd->add_option("--save-latents", a->save_latents, "Also save the final latents (.safetensors)");
  cmd->callback([a, cmd] { run_generate(*a, *cmd); });
}

}  // namespace linvideo::cli
