#include "ui/layers/layer_engine.h"

#include "core/engine/engine.h"

namespace linvideo::ui {

EngineLayers readEngineLayers(engine::Engine& engine) {
  const engine::LayerTable table = engine.layers();
  EngineLayers out;
  out.config = table.config;
  out.vaeTemporalStride = table.vae_temporal_stride;
  out.vaeSpatialStride = table.vae_spatial_stride;
  for (const engine::LayerInfo& l : table.layers) out.layers.push_back({l.layer, l.mode, l.has_maps, l.r});
  return out;
}

linvideo_method::ScanResult setLayerModes(engine::Engine& engine, const std::vector<std::pair<int, bool>>& changes,
                                          const LayerChangeOptions& options) {
  engine::LayerChangeOptions o;
  o.calibration_prompt = options.calibrationPrompt;
  o.sample_steps = options.sampleSteps;
  o.transfer_steps = options.transferSteps;
  o.progress = options.progress;
  o.cancel = options.cancel;
  return engine.set_layer_modes(changes, o);
}

linvideo_method::ScanResult scanLayersKeepingMaps(engine::Engine& engine, const linvideo_method::ScanOptions& options) {
  return engine.scan(options);
}

}  // namespace linvideo::ui
