#include "ui/layers/layer_engine.h"

#include "core/error.h"
#include "core/model/attention_scope.h"
#include "core/model/wan_dit.h"
#include "core/model/wan_vae.h"
#include "core/pipeline/text_to_video.h"

namespace linvideo::ui {
namespace {

LayerMode toLayerMode(model::AttentionMode mode) {
  switch (mode) {
    case model::AttentionMode::Linear: return LayerMode::Linear;
    case model::AttentionMode::Mixed: return LayerMode::Mixed;
    case model::AttentionMode::Softmax: break;
  }
  return LayerMode::Softmax;
}

}  // namespace

EngineLayers readEngineLayers(pipeline::TextToVideo& t2v) {
  const model::WanDiT& dit = t2v.dit();
  EngineLayers out;
  out.config = dit.config();
  out.vaeTemporalStride = t2v.vae().config().temporal_stride();
  out.vaeSpatialStride = t2v.vae().config().spatial_stride();
  for (std::int64_t l = 0; l < dit.num_layers(); ++l) {
    const model::AttentionLayerState& s = dit.attention_state(l);
    LayerState state;
    state.layer = static_cast<int>(l + 1);
    state.mode = toLayerMode(s.mode);
    state.hasMaps = s.has_linear_branch();
    state.r = s.mix_score.defined() ? s.mix_score.item<double>() : 1.0;
    out.layers.push_back(state);
  }
  return out;
}

linvideo_method::ScanResult setLayerModes(pipeline::TextToVideo& t2v,
                                          const pipeline::GenerationSettings& defaults,
                                          const std::vector<std::pair<int, bool>>& changes,
                                          const LayerChangeOptions& options) {
  model::WanDiT& dit = t2v.dit();
  std::vector<int> needMaps;
  for (const auto& [layer, linear] : changes) {
    if (layer < 1 || layer > dit.num_layers()) {
      throw Error("layer " + std::to_string(layer) + " is out of range 1-" +
                  std::to_string(dit.num_layers()));
    }
    if (linear && !dit.attention_state(layer - 1).has_linear_branch()) needMaps.push_back(layer);
  }
  linvideo_method::ScanResult fitted;
  if (!needMaps.empty()) {
    linvideo_method::ScanOptions o;
    o.prompts = {options.calibrationPrompt};
    o.only_layers = needMaps;
    o.measure_sensitivity = false;
    o.sample_steps = options.sampleSteps;
    o.transfer_steps = options.transferSteps;
    o.progress = options.progress;
    o.cancel = options.cancel;
    fitted = linvideo_method::scan_layers(t2v, defaults, o);
    if (fitted.cancelled) return fitted;
  }
  for (const auto& [layer, linear] : changes) {
    dit.attention_state(layer - 1).mode =
        linear ? model::AttentionMode::Linear : model::AttentionMode::Softmax;
  }
  return fitted;
}

linvideo_method::ScanResult scanLayersKeepingMaps(pipeline::TextToVideo& t2v,
                                                  const pipeline::GenerationSettings& defaults,
                                                  const linvideo_method::ScanOptions& options) {
  model::WanDiT& dit = t2v.dit();
  // The scan re-fits every layer it looks at; the trained maps matter more than warm-up ones, so
  // layers that had maps get their old state back and the rest keep the scan's fit. If the scan
  // throws, everything is restored.
  model::AttentionStateScope before(dit);
  linvideo_method::ScanResult result = linvideo_method::scan_layers(t2v, defaults, options);
  for (std::int64_t l = 0; l < dit.num_layers(); ++l) {
    const model::AttentionLayerState& old = before.saved(l);
    if (old.has_linear_branch()) dit.attention_state(l) = old;
  }
  before.keep();
  return result;
}

}  // namespace linvideo::ui
