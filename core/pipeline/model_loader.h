#pragma once
// Finding and loading the three parts of a Wan text-to-video model: a diffusers folder, an original
// Wan folder, or single files named one by one (ComfyUI style).
#include <memory>
#include <string>

#include "core/model/dit_config.h"
#include "core/model/wan_vae.h"
#include "core/pipeline/runtime_policy.h"
#include "core/pipeline/text_to_video.h"

namespace linvideo::model {
class WanDiT;
}

namespace linvideo::pipeline {

struct ModelSources {
  std::string layout;        // "diffusers folder", "original Wan folder", "single files"
  std::string dit;           // file, index or folder
  std::string vae;           // .safetensors or .pth (file or folder)
  std::string text_encoder;  // .safetensors or .pth (file or folder); empty: none
  std::string tokenizer;     // spiece.model; empty: none
};

// The embedded default model's folder: $LINVIDEO_MODEL_DIR, else resources/models/shapes of the
// source tree this binary was built from, else ../share/linvideo/models/shapes beside the binary.
std::string default_model_dir();

// Sampling defaults a model folder recommends (model_index.json "defaults"); fields it does not
// set keep `base`'s values. The shapes model also asks for an empty negative prompt.
GenerationSettings model_defaults(const std::string& folder, GenerationSettings base);
// The procedural world a model folder was trained on (model_index.json "linvideo_model", e.g.
// "shapes" for the embedded model, whose clips `linvideo eval` can score); "" for other models.
std::string model_world(const std::string& folder);

// Loads all three parts (text encoder included) for repeated generation (eval, studio).
std::unique_ptr<TextToVideo> load_text_to_video(const ModelSources& sources, const RuntimePolicy& policy);

// Resolves a model folder. Every part that must exist and does not is an Error naming the file or
// folder it looked for. The text encoder and tokenizer may be absent (reported as empty).
ModelSources resolve_model_folder(const std::string& path);

// `config_path` overrides the config found beside (or detected from) the weights.
std::shared_ptr<model::WanDiT> load_dit(const std::string& path, const RuntimePolicy& policy,
                                        const std::string& config_path = {});
std::shared_ptr<model::WanVAE> load_vae(const std::string& path, const RuntimePolicy& policy);
// The VAE options `policy` asks for (device, dtype, layout, tiling): load_vae's, and a random VAE's.
model::VaeOptions vae_options(const RuntimePolicy& policy);
// umT5 + tokenizer behind the PromptEncoder interface, padded to `text_len` like the reference.
std::shared_ptr<PromptEncoder> load_prompt_encoder(const ModelSources& sources, const RuntimePolicy& policy,
                                                   std::int64_t text_len);

}  // namespace linvideo::pipeline
