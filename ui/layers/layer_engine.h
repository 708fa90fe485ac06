#pragma once
// The Layers view's engine types under the studio's names (core/engine/layers.h holds them; the
// calls are engine::Engine::layers(), set_layer_modes() and scan(), on the engine thread).
#include "core/engine/layers.h"

namespace linvideo::ui {

using LayerMode = engine::LayerMode;
using LayerState = engine::LayerInfo;
using EngineLayers = engine::LayerTable;
using LayerChangeOptions = engine::LayerChangeOptions;

}  // namespace linvideo::ui
