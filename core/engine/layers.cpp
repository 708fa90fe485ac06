#include "core/engine/layers.h"

#include "core/error.h"
#include "core/model/attention_scope.h"
#include "core/model/wan_dit.h"
#include "core/model/wan_vae.h"
#include "core/pipeline/text_to_video.h"

namespace linvideo::engine {
namespace {

LayerMode to_layer_mode(model::AttentionMode mode) {
  switch (mode) {
    case model::AttentionMode::Linear: return LayerMode::Linear;
    case model::AttentionMode::Mixed: return LayerMode::Mixed;
    case model::AttentionMode::Softmax: break;
  }
  return LayerMode::Softmax;
}

}  // namespace

LayerTable read_layers(pipeline::TextToVideo& t2v) {
  const model::WanDiT& dit = t2v.dit();
  LayerTable out;
  out.config = dit.config();
  out.vae_temporal_stride = t2v.vae().config().temporal_stride();
  out.vae_spatial_stride = t2v.vae().config().spatial_stride();
  for (std::int64_t l = 0; l < dit.num_layers(); ++l) {
    const model::AttentionLayerState& s = dit.attention_state(l);
    LayerInfo state;
    state.layer = static_cast<int>(l + 1);
    state.mode = to_layer_mode(s.mode);
    state.has_maps = s.has_linear_branch();
    state.r = s.mix_score.defined() ? s.mix_score.item<double>() : 1.0;
    out.layers.push_back(state);
  }
  return out;
}

method::ScanResult set_layer_modes(pipeline::TextToVideo& t2v, const pipeline::GenerationSettings& defaults,
                                            const std::vector<std::pair<int, bool>>& changes,
                                            const LayerChangeOptions& options) {
  model::WanDiT& dit = t2v.dit();
  std::vector<int> need_maps;
  for (const auto& [layer, linear] : changes) {
    if (layer < 1 || layer > dit.num_layers()) {
      throw Error("layer " + std::to_string(layer) + " is out of range 1-" +
                  std::to_string(dit.num_layers()));
    }
    if (linear && !dit.attention_state(layer - 1).has_linear_branch()) need_maps.push_back(layer);
  }
  method::ScanResult fitted;
  if (!need_maps.empty()) {
    method::ScanOptions o;
    o.prompts = {options.calibration_prompt};
    o.only_layers = need_maps;
    o.measure_sensitivity = false;
    o.sample_steps = options.sample_steps;
    o.transfer_steps = options.transfer_steps;
    o.progress = options.progress;
    o.cancel = options.cancel;
    fitted = method::scan_layers(t2v, defaults, o);
    if (fitted.cancelled) return fitted;
  }
  for (const auto& [layer, linear] : changes) {
    dit.attention_state(layer - 1).mode =
        linear ? model::AttentionMode::Linear : model::AttentionMode::Softmax;
  }
  return fitted;
}

method::ScanResult scan_keeping_maps(pipeline::TextToVideo& t2v, const pipeline::GenerationSettings& defaults,
                                              const method::ScanOptions& options,
                                              const std::function<void(const std::string&)>& log) {
  model::WanDiT& dit = t2v.dit();
  // The scan re-fits every layer it looks at; the trained maps matter more than warm-up ones, so
  // layers that had maps get their old state back and the rest keep the scan's fit. If the scan
  // throws, everything is restored.
  model::AttentionStateScope before(dit);
  method::ScanResult result = method::scan_layers(t2v, defaults, options, log);
  for (std::int64_t l = 0; l < dit.num_layers(); ++l) {
    const model::AttentionLayerState& old = before.saved(l);
    if (old.has_linear_branch()) dit.attention_state(l) = old;
  }
  before.keep();
  return result;
}

std::vector<LayerScores> scan_scores(const method::ScanResult& scan, bool sensitivity_measured) {
  std::vector<LayerScores> out;
  for (const method::LayerScore& l : scan.layers) {
    LayerScores s;
    s.layer = l.layer;
    s.transfer_error = l.transfer_error;
    if (sensitivity_measured) s.sensitivity = l.sensitivity;
    out.push_back(s);
  }
  return out;
}

}  // namespace linvideo::engine
