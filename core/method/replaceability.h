#pragma once
// How replaceable each self-attention layer is (linvideo.md section 7), cheapest first:
//   1. attention transfer: fit each layer's Hedgehog maps W_q, W_k so that linear attention
//      reproduces the layer's softmax output on the teacher's own activations; the error left is
//      the first score, and the fitted W initialise the linear branch;
//   2. single-layer sensitivity: make only layer l linear (with its fitted W) and measure how far
//      the final sample moves from the teacher's, at fixed seeds.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/pipeline/text_to_video.h"

namespace linvideo::method {

struct ScanOptions {
  std::vector<std::string> prompts;
  int seeds = 1;
  int sample_steps = 10;      // sampler steps for calibration and sensitivity runs
  int transfer_steps = 200;   // Adam steps per layer for the warm-up
  double transfer_lr = 1e-2;
  int max_calibration_states = 8;  // per layer (q, k, v triples kept)
  std::vector<int> only_layers;    // 1-based; empty: every layer
  bool measure_sensitivity = true;
  // Called after each unit of work with the fraction done (0..1) and a short stage name; for
  // progress bars. Optional.
  std::function<void(double fraction, const std::string& stage)> progress;
  // When set and cancelled, the scan stops at the next step, restores every layer's mode and
  // capture hook and returns the layers finished so far with ScanResult::cancelled set.
  const pipeline::CancelToken* cancel = nullptr;
};

struct LayerScore {
  int layer = 0;  // 1-based
  double transfer_error_before = 0;  // ||o_soft - o_lin|| / ||o_soft|| with the identity init
  double transfer_error = 0;         // after the warm-up
  double sensitivity = 0;            // ||x_final(layer linear) - x_final(teacher)|| / ||x_final(teacher)||
};

struct ScanResult {
  std::vector<LayerScore> layers;
  double seconds = 0;
  bool cancelled = false;  // ScanOptions::cancel fired; `layers` holds only the finished ones
};

// Leaves each layer in the mode it had, with the fitted W_q, W_k installed (ready for a
// conversion or a sidecar).
ScanResult scan_layers(pipeline::TextToVideo& t2v, const pipeline::GenerationSettings& base,
                       const ScanOptions& options, const std::function<void(const std::string&)>& log = {});

// The same from text contexts already encoded (when the text encoder has been dropped); the
// prompts of `options` are ignored. Each pair is (context, negative context).
ScanResult scan_layers(pipeline::TextToVideo& t2v, const pipeline::GenerationSettings& base,
                       const std::vector<std::pair<at::Tensor, at::Tensor>>& contexts, const ScanOptions& options,
                       const std::function<void(const std::string&)>& log = {});

}  // namespace linvideo::method
