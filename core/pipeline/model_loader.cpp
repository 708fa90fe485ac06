#include "core/pipeline/model_loader.h"

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/atomic_write.h"
#include "core/io/checkpoint.h"
#include "core/io/dit_dialect.h"
#include "core/io/vae_dialect.h"
#include "core/model/wan_dit.h"
#include "core/pipeline/model_index.h"
#include "core/text/prompt_cleanup.h"
#include "core/text/t5_tokenizer.h"
#include "core/text/umt5_encoder.h"

namespace fs = std::filesystem;

namespace linvideo::pipeline {
namespace {

std::string first_existing(const fs::path& dir, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (fs::exists(dir / n)) return (dir / n).string();
  }
  return {};
}

class UMT5PromptEncoder final : public PromptEncoder {
 public:
  UMT5PromptEncoder(std::unique_ptr<text::UMT5Encoder> encoder, std::unique_ptr<text::T5Tokenizer> tokenizer,
                    std::int64_t text_len)
      : encoder_(std::move(encoder)), tokenizer_(std::move(tokenizer)), text_len_(text_len) {}

  at::Tensor encode(const std::string& prompt) override {
    const text::TokenizedPrompts t = tokenizer_->encode_batch({prompt}, text_len_);
    const auto device = encoder_->options().device;
    const at::Tensor hidden = encoder_->forward(t.ids.to(device), t.mask.to(device));
    // The reference trims to the true length (EOS included); the DiT pads back with zeros.
    return hidden.narrow(1, 0, t.lengths.front()).to(at::kCPU, at::kFloat).contiguous();
  }
  std::string name() const override { return "umT5 (" + tokenizer_->path() + ")"; }
  std::int64_t width() const override { return encoder_->config().d_model; }
  std::int64_t token_count(const std::string& prompt) const override {
    // Encoding without a limit is what the reference would need; +1 for EOS.
    return static_cast<std::int64_t>(tokenizer_->encode_raw(text::clean_prompt(prompt)).size()) + 1;
  }
  std::int64_t max_tokens() const override { return text_len_; }

 private:
  std::unique_ptr<text::UMT5Encoder> encoder_;
  std::unique_ptr<text::T5Tokenizer> tokenizer_;
  std::int64_t text_len_;
};

}  // namespace

std::string default_model_dir() {
  if (const char* env = std::getenv("LINVIDEO_MODEL_DIR"); env && *env) return env;
  if (fs::is_directory(LINVIDEO_SOURCE_MODEL_DIR)) return LINVIDEO_SOURCE_MODEL_DIR;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path installed = exe.parent_path() / ".." / "share" / "linvideo" / "models" / "shapes";
  if (fs::is_directory(installed)) return installed.string();
  throw Error(std::string(LINVIDEO_SOURCE_MODEL_DIR) + ": the embedded default model is missing (set LINVIDEO_MODEL_DIR or --model)");
}

GenerationSettings model_defaults(const std::string& folder, GenerationSettings s) {
  const fs::path index = fs::path(folder) / "model_index.json";
  if (!fs::exists(index)) return s;
  const ModelIndex m = parse_model_index(read_text_file(index.string()), index.string());
  if (m.steps) s.steps = static_cast<int>(*m.steps);
  if (m.guidance) s.guidance = *m.guidance;
  if (m.shift) s.shift = *m.shift;
  if (m.frames) s.frames = *m.frames;
  if (m.height) s.height = *m.height;
  if (m.width) s.width = *m.width;
  if (m.negative_prompt) {
    s.negative_prompt = *m.negative_prompt;
    s.use_default_negative = false;
  }
  return s;
}

std::string model_world(const std::string& folder) {
  const fs::path index = fs::path(folder) / "model_index.json";
  if (!fs::exists(index)) return {};
  return parse_model_index(read_text_file(index.string()), index.string()).world;
}

std::unique_ptr<TextToVideo> load_text_to_video(const ModelSources& sources, const RuntimePolicy& policy) {
  auto dit = load_dit(sources.dit, policy);
  auto vae = load_vae(sources.vae, policy);
  auto text = load_prompt_encoder(sources, policy, dit->config().text_len);
  return std::make_unique<TextToVideo>(std::move(dit), std::move(vae), std::move(text));
}

ModelSources resolve_model_folder(const std::string& path) {
  const fs::path root(path);
  if (!fs::is_directory(root)) throw Error(path + ": not a model folder (name the parts with --dit, --vae, ...)");
  ModelSources s;
  if (fs::exists(root / "model_index.json") || fs::is_directory(root / "transformer")) {
    s.layout = "diffusers folder";
    for (const char* part : {"transformer", "vae"}) {
      if (!fs::is_directory(root / part)) throw Error((root / part).string() + ": missing (diffusers layout)");
    }
    s.dit = (root / "transformer").string();
    s.vae = (root / "vae").string();
    if (fs::is_directory(root / "text_encoder")) s.text_encoder = (root / "text_encoder").string();
    s.tokenizer = first_existing(root / "tokenizer", {"spiece.model"});
    return s;
  }
  s.layout = "original Wan folder";
  s.dit = path;  // Checkpoint::open picks diffusion_pytorch_model*.safetensors
  s.vae = first_existing(root, {"Wan2.1_VAE.safetensors", "Wan2.1_VAE.pth"});
  if (s.vae.empty()) throw Error((root / "Wan2.1_VAE.pth").string() + ": missing (original Wan layout)");
  s.text_encoder = first_existing(root, {"models_t5_umt5-xxl-enc-bf16.safetensors", "models_t5_umt5-xxl-enc-bf16.pth"});
  s.tokenizer = first_existing(root / "google" / "umt5-xxl", {"spiece.model"});
  return s;
}

std::shared_ptr<model::WanDiT> load_dit(const std::string& path, const RuntimePolicy& policy,
                                        const std::string& config_path) {
  const io::Checkpoint ckpt = io::Checkpoint::open(path);
  const io::DitKeyMap keys = io::detect_dit_dialect(ckpt.keys(), ckpt.source());
  model::DetectedConfig detected = model::detect_dit_config(ckpt, keys);
  if (!config_path.empty()) detected.config = model::load_dit_config(config_path);
  model::DitLoadOptions opts;
  opts.device = policy.device;
  opts.dtype = policy.dit_dtype;
  return model::WanDiT::load(ckpt, keys, detected.config, opts);
}

std::shared_ptr<model::WanVAE> load_vae(const std::string& path, const RuntimePolicy& policy) {
  const io::Checkpoint ckpt = io::Checkpoint::open(path);
  model::VaeConfig config;
  const fs::path cfg = fs::path(ckpt.folder()) / "config.json";
  if (fs::is_directory(path) && fs::exists(cfg)) config = model::load_vae_config(cfg.string());
  const io::VaeKeyMap keys = io::detect_vae_dialect(ckpt.keys(), config.num_res_blocks, ckpt.source());
  // Widths from the weights when no config says otherwise.
  const std::string conv_in = keys.to_stored("encoder.conv1.weight");
  if (ckpt.contains(conv_in)) config.base_dim = ckpt.entry(conv_in).shape.at(0);
  const std::string post = keys.to_stored("conv2.weight");
  if (ckpt.contains(post)) config.z_dim = ckpt.entry(post).shape.at(0);
  return model::WanVAE::load(ckpt, keys, config, vae_options(policy));
}

model::VaeOptions vae_options(const RuntimePolicy& policy) {
  model::VaeOptions opts;
  opts.device = policy.device;
  opts.dtype = policy.vae_dtype;
  opts.channels_last = policy.vae_channels_last;
  opts.tile_latent = policy.vae_tile_latent;
  return opts;
}

std::shared_ptr<PromptEncoder> load_prompt_encoder(const ModelSources& sources, const RuntimePolicy& policy,
                                                   std::int64_t text_len) {
  if (sources.text_encoder.empty()) throw Error("no text encoder found (give --text-encoder, or --random-text)");
  if (sources.tokenizer.empty()) throw Error("no tokenizer (spiece.model) found (give --tokenizer)");
  auto tokenizer = std::make_unique<text::T5Tokenizer>(sources.tokenizer);
  const io::Checkpoint ckpt = io::Checkpoint::open(sources.text_encoder);
  text::TextLoadOptions opts;
  opts.device = policy.text_device;
  opts.dtype = policy.text_dtype;
  auto encoder = text::UMT5Encoder::load(ckpt, opts);
  if (encoder->config().vocab_size < tokenizer->vocab_size()) {
    throw Error(sources.tokenizer + ": tokenizer has " + std::to_string(tokenizer->vocab_size()) +
                " pieces but the text encoder only " + std::to_string(encoder->config().vocab_size) + " embeddings");
  }
  return std::make_shared<UMT5PromptEncoder>(std::move(encoder), std::move(tokenizer), text_len);
}

}  // namespace linvideo::pipeline
