#pragma once
// The one engine API for text-to-video generation, used by the CLI, the studio and the tests:
// prompt -> text condition -> flow sampler with CFG -> VAE decode -> frames.
#include <ATen/core/Tensor.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/sampling/flow_schedule.h"

namespace linvideo::model {
class WanDiT;
class WanVAE;
}  // namespace linvideo::model

namespace linvideo::pipeline {

// Turns a prompt into the DiT's text context [1, tokens, text_dim] (true length, unpadded).
class PromptEncoder {
 public:
  virtual ~PromptEncoder() = default;
  virtual at::Tensor encode(const std::string& prompt) = 0;
  virtual std::string name() const = 0;
  virtual std::int64_t width() const = 0;  // embedding size; must equal the DiT's text_dim
  // Tokens the prompt needs (EOS included) and the most the model reads; -1 when not known.
  // Tokens past the limit are dropped silently by the reference, so front ends warn instead.
  virtual std::int64_t token_count(const std::string& /*prompt*/) const { return -1; }
  virtual std::int64_t max_tokens() const { return -1; }
};

// A one-line warning when `prompt` is longer than `encoder` reads ("" when it fits or is unknown).
std::string truncation_warning(const PromptEncoder& encoder, const std::string& prompt);

// Stand-in when no text encoder is loaded (benchmarks, the 5.7B umT5 not at hand): a deterministic
// function of the prompt, so equal prompts give equal embeddings.
class HashedPromptEncoder final : public PromptEncoder {
 public:
  HashedPromptEncoder(std::int64_t text_dim, std::int64_t tokens) : dim_(text_dim), tokens_(tokens) {}
  at::Tensor encode(const std::string& prompt) override;
  std::string name() const override { return "hashed random embeddings (no text encoder)"; }
  std::int64_t width() const override { return dim_; }

 private:
  std::int64_t dim_, tokens_;
};

// Wan's default negative prompt (shared_config.sample_neg_prompt, in the original Chinese).
const std::string& wan_default_negative_prompt();

struct CancelToken {
  std::atomic<bool> requested{false};
  void cancel() { requested = true; }
  bool cancelled() const { return requested.load(); }
};

struct GenerationSettings {
  std::string prompt;
  std::string negative_prompt;          // empty: Wan's default list
  bool use_default_negative = true;     // false: an empty negative stays empty
  std::uint64_t seed = 0;
  int steps = 50;
  double guidance = 5.0;
  double shift = 5.0;
  sampling::SolverKind solver = sampling::SolverKind::UniPC;
  sampling::SigmaGrid grid = sampling::SigmaGrid::Wan;
  std::int64_t frames = 81, height = 480, width = 832;
  // Non-empty: a few-step student's fixed schedule (decreasing sigmas in (0, 1]) instead of the
  // shifted grid; sampled with Euler, `steps` and `solver` are then ignored (see
  // core/method/student.h, which fills it from a student file).
  std::vector<double> fixed_sigmas;
};

struct StepProgress {
  int step = 0, total = 0;
  double elapsed_s = 0, eta_s = 0;
  double seconds_per_step = 0;
};

struct Callbacks {
  std::function<void(const StepProgress&)> on_step;
  // Cheap preview of the denoised estimate after each step: [frames, 3, h, w] in [0, 1] at latent
  // resolution (a 16->3 linear projection, no VAE).
  std::function<void(const at::Tensor&)> on_preview;
  std::function<void(const std::string&)> on_log;
  // Every state the sampler visits: latent x, model timestep, sigma, and the (guided) velocity the
  // model gave there. This is what the LinVideo trajectory cache stores.
  std::function<void(const at::Tensor& x, double timestep, double sigma, const at::Tensor& velocity)> on_state;
  const CancelToken* cancel = nullptr;
};

enum class Status { Completed, Cancelled };

struct SampleResult {
  Status status = Status::Completed;
  int steps_done = 0;
  at::Tensor latents;  // normalised latent [1, z, F, h, w] after the last completed step
  double dit_seconds = 0;
  int dit_forwards = 0;
};

struct GenerateResult {
  SampleResult sampling;
  at::Tensor video;  // [frames, 3, H, W] float in [0, 1] on the CPU; undefined if cancelled
  double text_seconds = 0, decode_seconds = 0, total_seconds = 0;
};

class TextToVideo {
 public:
  TextToVideo(std::shared_ptr<model::WanDiT> dit, std::shared_ptr<model::WanVAE> vae,
              std::shared_ptr<PromptEncoder> text);

  model::WanDiT& dit() { return *dit_; }
  // Drops this pipeline's reference to the DiT (memory plan: before decode). sample() then throws.
  void release_dit() { dit_.reset(); }
  model::WanVAE& vae() { return *vae_; }

  // Latent shape for a video size; throws Error naming the option when it does not fit.
  std::vector<std::int64_t> latent_shape(std::int64_t frames, std::int64_t height, std::int64_t width) const;
  // Deterministic initial noise for a seed (drawn on the CPU, so every device gets the same).
  at::Tensor initial_noise(const GenerationSettings& s) const;

  // Sampling with CFG from given text contexts ([1, L, text_dim]) and initial latents.
  SampleResult sample(const at::Tensor& context, const at::Tensor& negative_context,
                      const at::Tensor& latents_init, const GenerationSettings& s,
                      const Callbacks& cb = {}) const;
  // Normalised latents -> video [frames, 3, H, W] in [0, 1].
  at::Tensor decode(const at::Tensor& latents, const Callbacks& cb = {}) const;
  // The whole flow.
  GenerateResult generate(const GenerationSettings& s, const Callbacks& cb = {});
  // Text context of a prompt ([1, tokens, text_dim]); throws without a text encoder. A prompt
  // longer than the encoder reads is cut, with a warning through `log` when given.
  at::Tensor encode_prompt(const std::string& prompt, const std::function<void(const std::string&)>& log = {});
  // The negative prompt `s` asks for (Wan's default list unless it says otherwise).
  static const std::string& negative_prompt_of(const GenerationSettings& s);

  // A cheap RGB view of latents: a z -> RGB linear map fitted once, on first use, to solid colours
  // pushed through this VAE's encoder (text_to_video.cpp).
  at::Tensor preview(const at::Tensor& latents) const;

 private:
  std::shared_ptr<model::WanDiT> dit_;
  std::shared_ptr<model::WanVAE> vae_;
  std::shared_ptr<PromptEncoder> text_;
  std::array<std::int64_t, 3> patch_{};  // the DiT's, kept for sizes after release_dit()
  mutable at::Tensor preview_weight_, preview_bias_;  // [3, z], [3]; fitted on first use
};

}  // namespace linvideo::pipeline
