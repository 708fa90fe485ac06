#pragma once
// A converted model = base checkpoint + a small sidecar: safetensors holding each layer's mode, r,
// W_q and W_k, with a JSON manifest (also stored in the file's metadata). Layers are numbered
// from 1 in everything users see, as in the paper.
#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/method/layer_mask.h"  // parse_layer_list

namespace linvideo::model {
class WanDiT;
}

namespace linvideo::method {

// What a sidecar can say about its layers beyond their states (issue 20), each optional: one
// entry per layer (empty vectors: none), and the training run's r over its steps.
struct SidecarScores {
  std::vector<std::optional<double>> r_trained, transfer_error, sensitivity;
  at::Tensor r_trajectory;  // [steps, layers] float32: r after every step of the run; undefined: none
};

void save_sidecar(const std::string& path, const model::WanDiT& dit, const std::string& note = {},
                  const SidecarScores& scores = {});
// What save_sidecar writes: the tensors, and the manifest (JSON text) kept in the "linvideo"
// metadata. A distilled student file (student.h) holds these too, so load_sidecar reads it.
std::vector<std::pair<std::string, at::Tensor>> sidecar_contents(const model::WanDiT& dit, const std::string& note,
                                                                 std::string* manifest_json,
                                                                 const SidecarScores& scores = {});
// The scores a sidecar (or student) file carries; an Error names the file and field when one is
// malformed. A file without any gives empty vectors.
SidecarScores read_sidecar_scores(const std::string& path);
// Rewrites `path` atomically with `scan`'s transfer error and sensitivity merged in (the layers
// it lists; the others keep theirs); tensors and states unchanged. `linvideo scan --annotate`.
struct ScanResult;
// A scan's transfer error (and sensitivity, when measured) as sidecar scores for `layers` layers.
SidecarScores scan_scores(const ScanResult& scan, int layers, bool sensitivity_measured);
void annotate_sidecar(const std::string& path, const ScanResult& scan, bool sensitivity_measured);
// The sidecar a model folder ships (`*.linvideo.safetensors` directly inside it; the first by name
// if there are several), or "" if none.
std::string find_shipped_sidecar(const std::string& model_folder);
// What the CLI and the studio both do on load: installs the folder's shipped sidecar and returns its
// path ("" when the folder ships none). One that does not fit leaves `dit` exactly as it was (an
// AttentionStateScope) and throws linvideo::Error naming the file.
std::string load_shipped_sidecar(const std::string& model_folder, model::WanDiT& dit);
// Installs the sidecar's states; an Error names the file when it does not fit this model.
void load_sidecar(const std::string& path, model::WanDiT& dit);

}  // namespace linvideo::method
