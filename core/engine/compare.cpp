#include "core/engine/compare.h"

#include <algorithm>

#include "core/error.h"
#include "core/media/temporal_flicker.h"
#include "core/pipeline/model_loader.h"
#include "core/pipeline/video_frames.h"
#ifdef LINVIDEO_WITH_SHAPES
#include "core/shapes/evaluate.h"
#endif

namespace linvideo::engine {

ClipMetrics measure_clip(const media::VideoFrames& frames, const media::VideoFrames* reference,
                         const std::string& prompt, const std::string& world) {
  ClipMetrics m;
  m.flicker = media::temporal_flicker(frames);
#ifdef LINVIDEO_WITH_SHAPES
  static_assert(shapes::kDimensionCount == 10, "ClipMetrics::eval_dimensions holds the shapes score's dimensions");
  if (reference) {
    const shapes::Fidelity f = shapes::fidelity(frames, *reference, "the reference variant");
    m.psnr = f.psnr;
    m.ssim = f.ssim;
  }
  if (world == "shapes") {
    try {
      const shapes::ClipScore score = shapes::score_clip(frames, shapes::parse_prompt(prompt));
      m.eval_dimensions.emplace();
      std::copy(score.dimensions.begin(), score.dimensions.end(), m.eval_dimensions->begin());
      m.eval_total = score.total;
    } catch (const Error& e) {
      m.note = std::string("no eval: the prompt is not in the shapes grammar (") + e.what() + ")";
    }
  } else {
    m.note = "no eval: not a shapes-world model";
  }
#else
  (void)reference, (void)prompt, (void)world;
  m.note = "no PSNR/SSIM/eval: this build has no OpenCV";
#endif
  return m;
}

VariantResult compare_variant(Engine& engine, const pipeline::GenerationSettings& settings,
                              const CompareVariant& variant, const media::VideoFrames* reference,
                              const pipeline::Callbacks& cb) {
  VariantResult r;
  r.label = variant.label;
  r.clip = engine.generate({settings, variant.layers}, cb);
  if (r.cancelled()) return r;
  r.frames = pipeline::to_video_frames(r.clip.result.video);
  const std::string world = engine.folder().empty() ? std::string() : pipeline::model_world(engine.folder());
  r.metrics = measure_clip(r.frames, reference, r.clip.settings.prompt, world);
  return r;
}

std::vector<VariantResult> compare(Engine& engine, const pipeline::GenerationSettings& settings,
                                   const std::vector<CompareVariant>& variants, const pipeline::Callbacks& cb) {
  if (variants.size() < 2) throw Error("compare: give at least two variants");
  std::vector<VariantResult> out;
  for (const CompareVariant& v : variants) {
    out.push_back(compare_variant(engine, settings, v, out.empty() ? nullptr : &out.front().frames, cb));
    if (out.back().cancelled()) break;
  }
  return out;
}

}  // namespace linvideo::engine
