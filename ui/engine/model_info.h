#pragma once
// What the UI knows about the loaded model: a plain copy made on the engine thread after loading,
// so widgets can show it without touching engine objects.
#include <QMetaType>
#include <QString>

#include "ui/generate/generate_request.h"

namespace linvideo::ui {

struct ModelInfo {
  QString folder;  // as opened
  QString layout;  // "diffusers folder", "original Wan folder"
  QString family;  // "Wan2.1 T2V-1.3B", "custom", ...
  qint64 dim = 0, ffnDim = 0, numLayers = 0, numHeads = 0, headDim = 0, textDim = 0, textLen = 0;
  qint64 parameterCount = 0;  // DiT parameters actually loaded
  quint64 weightBytes = 0;    // DiT weights on the device (the memory estimate)
  QString precision;          // DiT projections: "bf16" or "fp32"
  QString device;             // "cpu", "cuda:0"
  QString deviceName;         // "CPU (2 threads)", "NVIDIA H200"
  QString policy;             // RuntimePolicy::describe()
  QString textEncoder;        // the prompt encoder's name
  QString sidecarPath;        // the folder's *.linvideo.safetensors, applied at load; empty if none
  // The engine's defaults (the folder's model_index.json over the built-in ones) as a request:
  // what the Generate, Compare and Layers forms start from (no prompt, seed 0).
  GenerateRequest defaults;

  bool isValid() const { return numLayers > 0; }
  QString dimensionsText() const;  // "dim 224 · 8 layers · 4 heads × 56 · FFN 768 · text 64"
  QString parametersText() const;  // "1,234,567 (1.23 M)"
  QString memoryText() const;      // "4.9 MB of DiT weights on cpu"
};

}  // namespace linvideo::ui

Q_DECLARE_METATYPE(linvideo::ui::ModelInfo)
