#pragma once
// What the Generate form asks for and what a finished clip records: plain values the UI thread
// owns and hands to engine tasks by copy.
#include <QImage>
#include <QMetaType>
#include <QString>

namespace linvideo::pipeline {
struct GenerationSettings;
}

namespace linvideo::ui {

struct GenerateRequest {
  QString prompt;
  QString negativePrompt;  // empty: the model's default negative prompt
  quint64 seed = 0;        // the form draws a random one before submitting when asked to
  int steps = 25;
  double guidance = 4.0, shift = 3.0;
  qint64 frames = 17, height = 128, width = 128;
  QString sampler = QStringLiteral("unipc");  // "unipc" | "euler"
  QString grid;  // "wan" | "diffusers"; empty: the engine's default (kept when a clip is re-used)
  // A distilled student file: generated with its weights and on its schedule (steps, no CFG,
  // Euler; the three fields above are then unused). Empty: the engine's model as it is.
  QString student;

  // The request that asks for exactly `s` (the engine's defaults, a clip's settings): every field
  // from it, the negative prompt only when it is not the model's default.
  static GenerateRequest fromSettings(const pipeline::GenerationSettings& s);

  // The engine settings: `base` (the model's defaults, engine thread) with this request's values.
  // Throws linvideo::Error naming the sampler when it is unknown.
  pipeline::GenerationSettings toSettings(const pipeline::GenerationSettings& base) const;
};

// A clip in the gallery: its file, the settings its tags record, and how long it took.
struct GalleryEntry {
  QString path;
  GenerateRequest request;
  QString model;
  QString layerMask;         // linear layers, 1-based ("1-4"), "none" when all softmax
  double wallSeconds = -1;   // whole generation (text, sampling, decode); < 0: unknown
  double ditSeconds = -1;    // DiT sampling only
  QImage thumbnail;          // the middle frame; null when unknown
};

// "1-4" for modes {linear, linear, linear, linear, softmax, ...}; "none" without linear layers.
QString layerMaskText(const std::vector<std::string>& attentionModes);

}  // namespace linvideo::ui

Q_DECLARE_METATYPE(linvideo::ui::GalleryEntry)
