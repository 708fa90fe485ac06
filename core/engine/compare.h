#pragma once
// A side-by-side comparison as the engine runs it (issue 19): one clip per variant (the same
// request, different layers), each measured against the first. The studio's Compare view runs one
// variant per queued task; compare() runs them all in a row. The measuring needs the media library
// (and OpenCV for PSNR/SSIM and the shapes-world score), so this is its own library,
// linvideo_engine_compare.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/engine.h"
#include "core/media/video_frames.h"

namespace linvideo::engine {

struct CompareVariant {
  std::string label;
  LayerChoice layers;
};

// What a comparison reports for one clip. Optional values are absent when they cannot be measured
// here; `note` then says why ("no eval: not a shapes-world model", ...).
struct ClipMetrics {
  double flicker = 0;                 // mean absolute change between frames (core/media)
  std::optional<double> psnr, ssim;   // against the reference variant (the first)
  std::optional<std::array<double, 10>> eval_dimensions;  // the shapes-world score per dimension (core/shapes)
  std::optional<double> eval_total;
  std::string note;
};

struct VariantResult {
  std::string label;
  Clip clip;
  media::VideoFrames frames;  // the clip as 8-bit frames (what is written and measured)
  ClipMetrics metrics;
  bool cancelled() const { return clip.cancelled(); }
};

// Measures `frames` (made from `prompt` by a model of `world`, "shapes" or other) against
// `reference` when given.
ClipMetrics measure_clip(const media::VideoFrames& frames, const media::VideoFrames* reference,
                         const std::string& prompt, const std::string& world);

// One variant: its clip from the loaded model, measured against `reference` (null for the first).
VariantResult compare_variant(Engine& engine, const pipeline::GenerationSettings& settings,
                              const CompareVariant& variant, const media::VideoFrames* reference,
                              const pipeline::Callbacks& cb = {});

// Every variant in order, the first as the reference; stops at a cancelled one (returned last).
std::vector<VariantResult> compare(Engine& engine, const pipeline::GenerationSettings& settings,
                                   const std::vector<CompareVariant>& variants, const pipeline::Callbacks& cb = {});

}  // namespace linvideo::engine
