#pragma once
// The options that pick a clip's attention layers, shared by `generate` and `eval`: --teacher,
// --sidecar, --student, --linear (and --linvideo, the old name that took either kind of file).
#include <string>

#include "core/engine/engine.h"

namespace CLI {
class App;
}

namespace linvideo::cli {

struct LayerOptions {
  bool teacher = false;
  std::string sidecar, student, linvideo, linear;
};

void add_layer_options(CLI::App* cmd, LayerOptions& o);
// The engine's layer choice; one-line errors name the options that do not go together or the file
// that is not of the kind its option takes. Nothing given: the model's layers (the folder's
// shipped sidecar).
engine::LayerChoice layer_choice(const LayerOptions& o);

}  // namespace linvideo::cli
