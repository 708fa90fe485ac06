#pragma once
// The engine side of the Layers view: reading the DiT's per-layer attention state into plain
// values, and changing layer modes (fitting maps first where a layer has none). Engine thread
// only: every function here takes the engine objects a Task's run function reaches.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/linvideo/replaceability.h"
#include "core/model/dit_config.h"

namespace linvideo::pipeline {
class TextToVideo;
struct GenerationSettings;
struct CancelToken;
}  // namespace linvideo::pipeline

namespace linvideo::ui {

enum class LayerMode { Softmax, Linear, Mixed };

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

EngineLayers readEngineLayers(pipeline::TextToVideo& t2v);

struct LayerChangeOptions {
  std::string calibrationPrompt;  // teacher trajectories for fitting missing maps
  int sampleSteps = 10, transferSteps = 200;
  std::function<void(double fraction, const std::string& stage)> progress;
  const pipeline::CancelToken* cancel = nullptr;
};

// Sets each (1-based layer, linear?) of `changes`; a layer made linear without maps gets them by
// attention transfer first (apply_linvideo's path). Returns the scores of the layers fitted now.
// Cancelled while fitting: nothing changes and ScanResult::cancelled is set.
linvideo_method::ScanResult setLayerModes(pipeline::TextToVideo& t2v,
                                          const pipeline::GenerationSettings& defaults,
                                          const std::vector<std::pair<int, bool>>& changes,
                                          const LayerChangeOptions& options);

// The scan as the studio runs it: a measurement. Layers that had maps keep them (and their r and
// mode); layers without get the fitted maps.
linvideo_method::ScanResult scanLayersKeepingMaps(pipeline::TextToVideo& t2v,
                                                  const pipeline::GenerationSettings& defaults,
                                                  const linvideo_method::ScanOptions& options);

}  // namespace linvideo::ui
