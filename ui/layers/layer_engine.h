#pragma once
// The Layers view's engine calls (core/engine/layers.h) as the studio's plain values. Engine
// thread only: every function here takes the engine a Task's run function reaches.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/engine/layers.h"

namespace linvideo::engine {
class Engine;
}

namespace linvideo::ui {

using LayerMode = engine::LayerMode;

struct LayerState {
  int layer = 0;  // 1-based
  LayerMode mode = LayerMode::Softmax;
  bool hasMaps = false;  // W_q, W_k exist (a linear branch can run)
  double r = 1.0;        // mix score; 1 when the layer has none
};

// A copy of what the UI needs to know about the DiT's layers (plain values, any thread).
struct EngineLayers {
  std::vector<LayerState> layers;
  model::DitConfig config;  // for the FLOP model of the cost estimate
  std::int64_t vaeTemporalStride = 4, vaeSpatialStride = 8;
};

EngineLayers readEngineLayers(engine::Engine& engine);

struct LayerChangeOptions {
  std::string calibrationPrompt;  // teacher trajectories for fitting missing maps
  int sampleSteps = 10, transferSteps = 200;
  std::function<void(double fraction, const std::string& stage)> progress;
  const pipeline::CancelToken* cancel = nullptr;
};

// engine::set_layer_modes on the loaded model (see core/engine/layers.h).
linvideo_method::ScanResult setLayerModes(engine::Engine& engine, const std::vector<std::pair<int, bool>>& changes,
                                          const LayerChangeOptions& options);

// engine::scan_keeping_maps on the loaded model: a measurement that keeps trained maps.
linvideo_method::ScanResult scanLayersKeepingMaps(engine::Engine& engine, const linvideo_method::ScanOptions& options);

}  // namespace linvideo::ui
