#pragma once
// The engine's view of a model's attention layers as plain values (any thread may hold them), and
// the two ways the Layers view changes them: set modes (fitting maps first where a layer has
// none), and scan (measure every layer, keeping the maps that were trained). Engine::layers(),
// set_layer_modes() and scan() call these on the loaded model.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/method/layer_ranking.h"
#include "core/method/replaceability.h"
#include "core/model/dit_config.h"

namespace linvideo::pipeline {
class TextToVideo;
struct GenerationSettings;
struct CancelToken;
}  // namespace linvideo::pipeline

namespace linvideo::engine {

enum class LayerMode { Softmax, Linear, Mixed };

struct LayerInfo {
  int layer = 0;  // 1-based
  LayerMode mode = LayerMode::Softmax;
  bool has_maps = false;  // W_q, W_k exist (a linear branch can run)
  double r = 1.0;         // mix score; 1 when the layer has none
  // What the installed sidecar tells about the layer (issue 20), each when it says it: the score a
  // selection run ended with before rounding, and a scan's transfer error and sensitivity.
  std::optional<double> trained_r, transfer_error, sensitivity;
  double shown_r() const { return trained_r.value_or(r); }  // what the Layers view shows as r
};

struct LayerTable {
  std::vector<LayerInfo> layers;
  model::DitConfig config;  // for the FLOP model of the cost estimate
  // r of every layer after each step of the run that made the installed sidecar ([step][layer]);
  // empty when the sidecar has none.
  std::vector<std::vector<double>> r_trajectory;
  std::int64_t vae_temporal_stride = 4, vae_spatial_stride = 8;
};

LayerTable read_layers(pipeline::TextToVideo& t2v);

struct LayerChangeOptions {
  std::string calibration_prompt;  // teacher trajectories for fitting missing maps
  int sample_steps = 10, transfer_steps = 200;
  std::function<void(double fraction, const std::string& stage)> progress;
  const pipeline::CancelToken* cancel = nullptr;
};

// Sets each (1-based layer, linear?) of `changes`; a layer made linear without maps gets them by
// attention transfer first (apply_linvideo's path). Returns the scores of the layers fitted now.
// Cancelled while fitting: nothing changes and ScanResult::cancelled is set. A layer out of range
// is an Error naming it, before anything changes.
method::ScanResult set_layer_modes(pipeline::TextToVideo& t2v, const pipeline::GenerationSettings& defaults,
                                            const std::vector<std::pair<int, bool>>& changes,
                                            const LayerChangeOptions& options);

// The scan as the studio runs it: a measurement. Layers that had maps keep them (and their r and
// mode); layers without get the fitted maps. If the scan throws, everything is restored.
method::ScanResult scan_keeping_maps(pipeline::TextToVideo& t2v, const pipeline::GenerationSettings& defaults,
                                              const method::ScanOptions& options,
                                              const std::function<void(const std::string&)>& log = {});

// "The k most replaceable layers" (core/method/layer_ranking.h): the Layers view ranks its table's
// scores, `linvideo scan --rank K` a scan's, by the same rule.
using method::LayerRanking;
using method::LayerScores;
using method::rank_layers;
// A scan's numbers as the ranking reads them; sensitivity only when the scan measured it.
std::vector<LayerScores> scan_scores(const method::ScanResult& scan, bool sensitivity_measured);

}  // namespace linvideo::engine
