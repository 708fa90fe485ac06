#include "core/pipeline/text_to_video.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <functional>

#include "core/error.h"
#include "core/model/wan_dit.h"
#include "core/model/wan_vae.h"
#include "core/sampling/flow_sampler.h"

namespace linvideo::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

const std::string& wan_default_negative_prompt() {
  static const std::string text =
      "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，"
      "低质量，JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，"
      "形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走";
  return text;
}

at::Tensor HashedPromptEncoder::encode(const std::string& prompt) {
  const std::uint64_t seed = std::hash<std::string>{}(prompt);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn({1, tokens_, dim_}, gen, at::TensorOptions().dtype(at::kFloat));
}

TextToVideo::TextToVideo(std::shared_ptr<model::WanDiT> dit, std::shared_ptr<model::WanVAE> vae,
                         std::shared_ptr<PromptEncoder> text)
    : dit_(std::move(dit)), vae_(std::move(vae)), text_(std::move(text)) {
  if (!dit_ || !vae_) throw Error("TextToVideo needs a DiT and a VAE");
  patch_ = dit_->config().patch;
  if (text_ && text_->width() != dit_->config().text_dim) {
    throw Error(text_->name() + ": text embeddings are " + std::to_string(text_->width()) +
                " wide but the DiT expects text_dim " + std::to_string(dit_->config().text_dim));
  }
  if (dit_->config().in_dim != vae_->config().z_dim || dit_->config().out_dim != vae_->config().z_dim) {
    throw Error("the DiT takes " + std::to_string(dit_->config().in_dim) + " latent channels but the VAE makes " +
                std::to_string(vae_->config().z_dim));
  }
}

std::vector<std::int64_t> TextToVideo::latent_shape(std::int64_t frames, std::int64_t height,
                                                    std::int64_t width) const {
  const auto& vc = vae_->config();
  const auto& p = patch_;
  const std::int64_t ts = vc.temporal_stride(), ss = vc.spatial_stride();
  if (frames < 1 || (frames - 1) % ts != 0) {
    throw Error("--frames must be 1 + " + std::to_string(ts) + "k (got " + std::to_string(frames) + ")");
  }
  if (height <= 0 || width <= 0 || height % (ss * p[1]) || width % (ss * p[2])) {
    throw Error("--height and --width must be positive multiples of " + std::to_string(ss * p[1]) + " (got " +
                std::to_string(height) + "x" + std::to_string(width) + ")");
  }
  return {1, vc.z_dim, (frames - 1) / ts + 1, height / ss, width / ss};
}

at::Tensor TextToVideo::initial_noise(const GenerationSettings& s) const {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(s.seed);
  return at::randn(latent_shape(s.frames, s.height, s.width), gen, at::TensorOptions().dtype(at::kFloat));
}

SampleResult TextToVideo::sample(const at::Tensor& context, const at::Tensor& negative_context,
                                 const at::Tensor& latents_init, const GenerationSettings& s,
                                 const Callbacks& cb) const {
  if (!dit_) throw Error("the DiT was released (memory plan); reload the model to sample again");
  if (s.guidance < 0) throw Error("--guidance must be >= 0");
  const auto device = dit_->options().device;
  const model::TextCondition cond = dit_->encode_condition(context.to(device));
  const bool use_cfg = s.guidance != 1.0;
  const model::TextCondition uncond = use_cfg ? dit_->encode_condition(negative_context.to(device)) : cond;

  SampleResult r;
  auto sampler = s.fixed_sigmas.empty()
                     ? sampling::make_sampler(s.solver, sampling::make_schedule(s.solver, s.grid, s.steps, s.shift))
                     : sampling::make_sampler(sampling::SolverKind::Euler, sampling::make_fixed_schedule(s.fixed_sigmas));
  const int total_steps = static_cast<int>(sampler->schedule().steps());
  const auto t0 = Clock::now();
  auto velocity = [&](const model::TextCondition& c) {
    return [&, c_ptr = &c](const at::Tensor& x, double timestep) {
      ++r.dit_forwards;
      const at::Tensor t = at::full({x.size(0)}, timestep, x.options().dtype(at::kFloat));
      return dit_->forward(x, t, *c_ptr);
    };
  };
  const sampling::VelocityFn model =
      use_cfg ? sampling::guided(velocity(cond), velocity(uncond), s.guidance) : sampling::VelocityFn(velocity(cond));
  // The denoised estimate for previews needs the velocity; keep the last one.
  at::Tensor last_v;
  const sampling::VelocityFn recording = [&](const at::Tensor& x, double t) {
    last_v = model(x, t);
    if (cb.on_state) cb.on_state(x, t, sampler->sigma(), last_v);
    return last_v;
  };
  at::Tensor x_before;
  r.latents = sampling::sample(
      *sampler, latents_init.to(device), [&](const at::Tensor& x, double t) {
        x_before = x;
        return recording(x, t);
      },
      [&](const sampling::StepEvent& e) {
        r.steps_done = static_cast<int>(e.step);
        if (cb.on_step) {
          StepProgress p;
          p.step = static_cast<int>(e.step);
          p.total = static_cast<int>(e.total);
          p.elapsed_s = seconds_since(t0);
          p.seconds_per_step = p.elapsed_s / p.step;
          p.eta_s = p.seconds_per_step * (p.total - p.step);
          cb.on_step(p);
        }
        if (cb.on_preview) {
          // Denoised estimate x0 = x - sigma v at the step just taken.
          const double sigma = sampler->schedule().sigmas[e.step - 1];
          cb.on_preview(preview(x_before - sigma * last_v));
        }
        return !(cb.cancel && cb.cancel->cancelled());
      });
  r.dit_seconds = seconds_since(t0);
  if (r.steps_done < total_steps) r.status = Status::Cancelled;
  return r;
}

at::Tensor TextToVideo::decode(const at::Tensor& latents, const Callbacks& cb) const {
  const at::Tensor video = vae_->decode(vae_->denormalize(latents), [&](std::int64_t done, std::int64_t total) {
    if (cb.on_log) cb.on_log("decoded latent frame " + std::to_string(done) + "/" + std::to_string(total));
  });
  // [1, 3, F, H, W] in [-1, 1] -> [F, 3, H, W] in [0, 1]
  return ((video[0].permute({1, 0, 2, 3}) + 1) * 0.5).to(at::kCPU).contiguous();
}

std::string truncation_warning(const PromptEncoder& encoder, const std::string& prompt) {
  const std::int64_t needed = encoder.token_count(prompt), limit = encoder.max_tokens();
  if (needed < 0 || limit < 0 || needed <= limit) return {};
  return "warning: the prompt \"" + prompt + "\" is " + std::to_string(needed) + " tokens; the model reads " +
         std::to_string(limit) + ", so the rest is ignored";
}

at::Tensor TextToVideo::encode_prompt(const std::string& prompt, const std::function<void(const std::string&)>& log) {
  if (!text_) throw Error("no text encoder loaded: pass text embeddings or load one");
  if (log) {
    if (const std::string w = truncation_warning(*text_, prompt); !w.empty()) log(w);
  }
  return text_->encode(prompt);
}

const std::string& TextToVideo::negative_prompt_of(const GenerationSettings& s) {
  return s.negative_prompt.empty() && s.use_default_negative ? wan_default_negative_prompt() : s.negative_prompt;
}

GenerateResult TextToVideo::generate(const GenerationSettings& s, const Callbacks& cb) {
  GenerateResult g;
  const auto t0 = Clock::now();
  const at::Tensor noise = initial_noise(s);  // validates the size before any heavy work
  const at::Tensor context = encode_prompt(s.prompt, cb.on_log);
  const at::Tensor negative_context = encode_prompt(negative_prompt_of(s), cb.on_log);
  g.text_seconds = seconds_since(t0);
  g.sampling = sample(context, negative_context, noise, s, cb);
  if (g.sampling.status == Status::Completed) {
    const auto t1 = Clock::now();
    g.video = decode(g.sampling.latents, cb);
    g.decode_seconds = seconds_since(t1);
  }
  g.total_seconds = seconds_since(t0);
  return g;
}

at::Tensor TextToVideo::preview(const at::Tensor& latents) const {
  if (!preview_weight_.defined()) {
    // Fit rgb = W z + b on solid colours pushed through this VAE's encoder: works for any VAE,
    // trained or not, without shipping per-model constants.
    std::vector<float> colours;
    for (int i = 0; i < 27; ++i) {
      colours.push_back(-1.f + (i % 3)), colours.push_back(-1.f + (i / 3 % 3)), colours.push_back(-1.f + (i / 9));
    }
    const at::Tensor rgb = at::tensor(colours).view({27, 3});
    const std::int64_t px = vae_->config().spatial_stride() * 2;
    const at::Tensor images = rgb.view({27, 3, 1, 1, 1}).expand({27, 3, 1, px, px}).contiguous();
    const at::Tensor z = vae_->normalize(vae_->encode(images)).mean({2, 3, 4}).to(at::kCPU);  // [27, zc]
    const at::Tensor design = at::cat({z, at::ones({27, 1})}, 1);
    const at::Tensor solution = at::matmul(at::linalg_pinv(design), (rgb + 1) * 0.5);  // [zc + 1, 3]
    preview_weight_ = solution.narrow(0, 0, z.size(1)).t().contiguous();
    preview_bias_ = solution[z.size(1)].contiguous();
  }
  const at::Tensor z = latents[0].to(at::kCPU, at::kFloat);  // [zc, F, h, w]
  const at::Tensor rgb = at::einsum("cz,zfhw->fchw", {preview_weight_, z}) + preview_bias_.view({1, 3, 1, 1});
  return rgb.clamp(0, 1);
}

}  // namespace linvideo::pipeline
