#pragma once
// The container tags of a generated clip (prompt, seed, steps, sampler, model, per-layer modes):
// one function so the CLI and the studio write the same tags. Header-only because
// linvideo_pipeline does not link the media library; callers that write clips do.
#include <string>
#include <vector>

#include "core/media/generation_metadata.h"
#include "core/model/attention.h"
#include "core/model/wan_dit.h"
#include "core/pipeline/text_to_video.h"

namespace linvideo::pipeline {

// "softmax" / "linear" / "mixed" for every layer of `dit`, in order.
inline std::vector<std::string> attention_mode_names(const model::WanDiT& dit) {
  std::vector<std::string> modes;
  for (std::int64_t i = 0; i < dit.num_layers(); ++i)
    modes.push_back(model::attention_mode_name(dit.attention_state(i).mode));
  return modes;
}

// `student`: the distilled student file the clip was made with ("" for none), so that the settings,
// student included, can be re-used from the clip alone.
inline media::GenerationSettings clip_settings(const GenerationSettings& s, const std::string& model_name,
                                               const std::vector<std::string>& attention_modes,
                                               const std::string& student = {}) {
  media::GenerationSettings meta;
  meta.prompt = s.prompt;
  meta.negative_prompt = s.negative_prompt;
  meta.seed = static_cast<std::int64_t>(s.seed);
  meta.steps = s.steps;
  meta.guidance = s.guidance;
  meta.shift = s.shift;
  // A few-step student samples Euler between its fixed sigmas; the grid plays no part then.
  meta.sampler = s.fixed_sigmas.empty()
                     ? std::string(sampling::solver_name(s.solver)) + " (" + sampling::grid_name(s.grid) + " grid)"
                     : "euler (fixed " + std::to_string(s.fixed_sigmas.size()) + "-step schedule)";
  meta.solver = s.fixed_sigmas.empty() ? sampling::solver_name(s.solver) : "euler";
  meta.grid = s.fixed_sigmas.empty() ? sampling::grid_name(s.grid) : "";
  if (!s.fixed_sigmas.empty()) meta.steps = static_cast<int>(s.fixed_sigmas.size());
  meta.model = model_name;
  meta.attention_modes = attention_modes;
  meta.student = student;
  return meta;
}

inline media::VideoMetadata clip_tags(const GenerationSettings& s, const std::string& model_name,
                                      const std::vector<std::string>& attention_modes,
                                      const std::string& student = {}) {
  return media::generation_metadata(clip_settings(s, model_name, attention_modes, student));
}

}  // namespace linvideo::pipeline
