#pragma once
// The manifest of a LinVideo sidecar (the `linvideo` metadata of *.linvideo.safetensors): one entry
// per layer, saying whether the layer has feature maps and which attention mode it runs. Plain C++
// and nlohmann, no LibTorch (fuzzed by tests/fuzz/fuzz_json_readers.cpp); sidecar.h applies it.
#include <optional>
#include <string>
#include <vector>

namespace linvideo::method {

struct SidecarLayerEntry {
  bool has_maps = false;
  std::string mode = "softmax";  // softmax, linear or mixed; linear and mixed need maps
  // What is known about the layer, for the Layers view (each optional): the score r a selection
  // run ended with, before rounding; the scan's attention-transfer error and single-layer
  // sensitivity.
  std::optional<double> r_trained, transfer_error, sensitivity;
};

// Parses the manifest text; `label` (the sidecar file) starts every error, which names the layer.
std::vector<SidecarLayerEntry> parse_sidecar_manifest(const std::string& text, const std::string& label);

}  // namespace linvideo::method
