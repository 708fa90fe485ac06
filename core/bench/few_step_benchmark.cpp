#include "core/bench/few_step_benchmark.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <chrono>
#include <filesystem>

#include "core/error.h"
#include "core/method/distill.h"
#include "core/method/sidecar.h"
#include "core/method/student.h"
#include "core/model/wan_dit.h"
#include "core/model/wan_vae.h"
#include "core/pipeline/runtime_policy.h"
#include "core/pipeline/text_to_video.h"
#include "core/remove_tree.h"

namespace linvideo::bench {
namespace {

namespace fs = std::filesystem;

at::Device device_of(const std::string& device) { return device == "cuda" ? at::Device(at::kCUDA) : at::Device(at::kCPU); }

// A pipeline around a random DiT: the VAE only gives the latent shape (a small one on the CPU; it
// never decodes), and there is no text encoder (the contexts are random, of the DiT's text length).
pipeline::TextToVideo random_pipeline(const model::DitConfig& config, const at::Device& device, at::ScalarType dtype,
                                      std::uint64_t seed, std::shared_ptr<pipeline::PromptEncoder> text = nullptr) {
  model::DitLoadOptions load;
  load.device = device;
  load.dtype = dtype;
  std::shared_ptr<model::WanDiT> dit = model::WanDiT::random(config, load, seed);
  // Wan's strides (8x spatial, 4x temporal) at a token width: the VAE is never run.
  model::VaeConfig vc;
  vc.base_dim = 8, vc.num_res_blocks = 1, vc.z_dim = config.in_dim;
  vc.latents_mean.assign(static_cast<std::size_t>(config.in_dim), 0.0);
  vc.latents_std.assign(static_cast<std::size_t>(config.in_dim), 1.0);
  std::shared_ptr<model::WanVAE> vae = model::WanVAE::random(vc, model::VaeOptions{}, seed + 1);
  return pipeline::TextToVideo(std::move(dit), std::move(vae), std::move(text));
}

}  // namespace

GenerationBenchResult run_generation_benchmark(const GenerationBenchOptions& o,
                                               const std::function<void(const std::string&)>& log) {
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  validate_bench_input(o.config, o.device, o.dtype, o.frames, o.height, o.width);
  if (o.teacher_repeats < 1) throw Error("--teacher-repeats must be at least 1");
  if (o.student_repeats < 1) throw Error("--student-repeats must be at least 1");
  if (o.teacher_steps < 1) throw Error("--teacher-steps must be at least 1");
  if (o.warmup < 0) throw Error("--warmup must be >= 0");
  const auto schedule = method::make_few_step_schedule(o.student_timesteps, o.shift);

  const at::Device device = device_of(o.device);
  say("building random-weight DiT: " + o.config.summary());
  pipeline::TextToVideo t2v = random_pipeline(o.config, device, o.dtype == "bf16" ? at::kBFloat16 : at::kFloat, o.seed);
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  const at::Tensor context = at::randn({1, o.config.text_len, o.config.text_dim}, opts);
  const at::Tensor negative = at::randn({1, o.config.text_len, o.config.text_dim}, opts);

  GenerationBenchResult r;
  r.tokens = bench_tokens(o.config, o.frames, o.height, o.width);
  r.student_sigmas = schedule.sigmas;
  r.linear_layer_ids = default_linear_layers(o.config.num_layers, o.linear_layers);

  pipeline::GenerationSettings teacher;
  teacher.frames = o.frames, teacher.height = o.height, teacher.width = o.width;
  teacher.steps = o.teacher_steps, teacher.guidance = o.guidance, teacher.shift = o.shift;
  pipeline::GenerationSettings student = teacher;
  method::use_few_step_schedule(schedule, student);
  const at::Tensor noise = t2v.initial_noise(teacher).to(device);

  // One synchronised generation: the sampler's loop from noise to the final latent.
  auto generate = [&](const pipeline::GenerationSettings& s, int& forwards) {
    noise.sum().item<float>();
    const auto start = std::chrono::steady_clock::now();
    const auto result = t2v.sample(context, negative, noise, s);
    result.latents.sum().item<float>();  // waits for the device
    forwards = result.dit_forwards;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto time_mode = [&](const char* label, const pipeline::GenerationSettings& s, int repeats) {
    GenerationTiming g;
    pipeline::GenerationSettings warm = s;
    if (warm.fixed_sigmas.empty()) warm.steps = std::min(warm.steps, 2);  // warm-up: kernels and allocator only
    for (int i = 0; i < o.warmup; ++i) {
      int n = 0;
      say(std::string(label) + " warm-up " + std::to_string(i + 1) + ": " + std::to_string(generate(warm, n)) + " s");
    }
    pipeline::reset_peak_device_memory(device);
    std::vector<double> ms;
    for (int i = 0; i < repeats; ++i) {
      const double seconds = generate(s, g.dit_forwards);
      ms.push_back(seconds * 1000.0);
      say(std::string(label) + " run " + std::to_string(i + 1) + ": " + std::to_string(seconds) + " s, " +
          std::to_string(g.dit_forwards) + " DiT forwards");
    }
    g.peak_bytes = pipeline::peak_device_memory_bytes(device);
    g.time = timing_stats(ms);
    g.ms_per_forward = g.time.median_ms / std::max(g.dit_forwards, 1);
    return g;
  };

  {
    const at::NoGradGuard no_grad;
    r.teacher = time_mode("teacher", teacher, o.teacher_repeats);
    linearise_layers(t2v.dit(), r.linear_layer_ids);
    r.student = time_mode("student", student, o.student_repeats);
  }
  r.speedup = r.teacher.time.median_ms / r.student.time.median_ms;
  return r;
}

DistillBenchResult run_distill_benchmark(const DistillBenchOptions& o, const std::function<void(const std::string&)>& log) {
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  validate_bench_input(o.config, o.device, "bf16", o.frames, o.height, o.width);
  if (o.steps < 1) throw Error("--steps must be at least 1");
  const at::Device device = device_of(o.device);
  // The teacher as generation loads it: bf16 on CUDA, float32 on the CPU.
  const at::ScalarType dtype = device.is_cuda() ? at::kBFloat16 : at::kFloat;
  auto text = std::make_shared<pipeline::HashedPromptEncoder>(o.config.text_dim, std::min<std::int64_t>(32, o.config.text_len));

  const fs::path work = o.work_dir.empty() ? fs::temp_directory_path() / ("linvideo-bench-distill-" + std::to_string(o.seed))
                                           : fs::path(o.work_dir);
  remove_tree(work.string());
  fs::create_directories(work);
  DistillBenchResult r;
  r.tokens = bench_tokens(o.config, o.frames, o.height, o.width);
  {
    say("building random-weight teacher: " + o.config.summary());
    pipeline::TextToVideo t2v = random_pipeline(o.config, device, dtype, o.seed, text);
    // The LinVideo model the student starts from: random feature maps on the benchmark's layers.
    const auto ids = default_linear_layers(o.config.num_layers, o.linear_layers);
    linearise_layers(t2v.dit(), ids);
    const std::string sidecar = (work / "random.linvideo.safetensors").string();
    method::save_sidecar(sidecar, t2v.dit(), "bench distill: random feature maps");
    for (std::int64_t l = 0; l < t2v.dit().num_layers(); ++l) t2v.dit().attention_state(l).mode = model::AttentionMode::Softmax;
    pipeline::reset_peak_device_memory(device);
    r.model_bytes = pipeline::peak_device_memory_bytes(device);  // after a reset the peak is what is held now

    method::DistillOptions d;
    d.run_dir = (work / "run").string();
    d.sidecar = sidecar;
    d.prompts = {"a timing run"};
    d.settings.frames = o.frames, d.settings.height = o.height, d.settings.width = o.width;
    d.steps = o.steps;
    d.critic_updates = o.critic_updates;
    d.student_timesteps = o.student_timesteps;
    d.gradient_checkpointing = o.gradient_checkpointing;
    d.precision = o.precision;
    d.seed = o.seed;
    d.save_outputs = false;
    method::run_distill(
        t2v, d,
        [&](const method::DistillStep& s) {
          r.step_seconds.push_back(s.step_seconds);
          say("generator step " + std::to_string(s.step) + ": " + std::to_string(s.step_seconds) + " s (critic loss " +
              std::to_string(s.critic_loss) + ")");
        },
        say);
    r.peak_bytes = pipeline::peak_device_memory_bytes(device);
  }
  remove_tree(work.string());
  return r;
}

}  // namespace linvideo::bench
