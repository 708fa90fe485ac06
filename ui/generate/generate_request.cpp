#include "ui/generate/generate_request.h"

#include <vector>

#include "core/error.h"
#include "core/method/layer_mask.h"
#include "core/pipeline/text_to_video.h"

namespace linvideo::ui {

GenerateRequest GenerateRequest::fromSettings(const pipeline::GenerationSettings& s) {
  GenerateRequest r;
  r.prompt = QString::fromStdString(s.prompt);
  if (!s.use_default_negative) r.negativePrompt = QString::fromStdString(s.negative_prompt);
  r.seed = s.seed;
  r.steps = s.steps;
  r.guidance = s.guidance;
  r.shift = s.shift;
  r.frames = s.frames;
  r.height = s.height;
  r.width = s.width;
  r.sampler = QString::fromLatin1(sampling::solver_name(s.solver));
  r.grid = QString::fromLatin1(sampling::grid_name(s.grid));
  return r;
}

pipeline::GenerationSettings GenerateRequest::toSettings(const pipeline::GenerationSettings& base) const {
  pipeline::GenerationSettings s = base;
  s.prompt = prompt.toStdString();
  if (!negativePrompt.isEmpty()) {
    s.negative_prompt = negativePrompt.toStdString();
    s.use_default_negative = false;
  }
  s.seed = seed;
  s.steps = steps;
  s.guidance = guidance;
  s.shift = shift;
  s.frames = frames;
  s.height = height;
  s.width = width;
  if (!sampling::parse_solver(sampler.toStdString(), &s.solver)) {
    throw Error("sampler must be unipc or euler (got '" + sampler.toStdString() + "')");
  }
  if (!grid.isEmpty() && !sampling::parse_grid(grid.toStdString(), &s.grid)) {
    throw Error("grid must be wan or diffusers (got '" + grid.toStdString() + "')");
  }
  return s;
}

QString layerMaskText(const std::vector<std::string>& attentionModes) {
  std::vector<int> linear;
  for (std::size_t i = 0; i < attentionModes.size(); ++i) {
    if (attentionModes[i] == "linear") linear.push_back(static_cast<int>(i) + 1);
  }
  if (linear.empty()) return QStringLiteral("none");
  return QString::fromStdString(method::format_layer_list(linear));
}

}  // namespace linvideo::ui
