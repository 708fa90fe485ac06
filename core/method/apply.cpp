#include "core/method/apply.h"

#include <algorithm>

#include "core/method/layer_mask.h"
#include "core/method/replaceability.h"
#include "core/method/sidecar.h"
#include "core/method/student.h"
#include "core/model/wan_dit.h"

namespace linvideo::method {

std::string apply_linvideo(pipeline::TextToVideo& t2v, const std::string& sidecar, const std::string& linear_layers,
                           const pipeline::GenerationSettings& settings,
                           const std::vector<std::pair<at::Tensor, at::Tensor>>& calibration) {
  model::WanDiT& dit = t2v.dit();
  std::string summary;
  if (!sidecar.empty() && is_student_file(sidecar)) {
    // A distilled student brings every weight, not only maps: loading only its modes would be a
    // silently wrong model. Its schedule is the caller's to apply (use_few_step_schedule).
    const auto schedule = load_student(sidecar, dit);
    summary += "distilled student " + sidecar + " (" + std::to_string(schedule.sigmas.size()) +
               "-step schedule, no CFG: sample it with use_few_step_schedule)";
  } else if (!sidecar.empty()) {
    load_sidecar(sidecar, dit);
    summary += "sidecar " + sidecar;
  }
  if (!linear_layers.empty()) {
    const auto layers = read_layer_mask(linear_layers, static_cast<int>(dit.num_layers()), "--linear").linear;
    std::vector<int> need_maps;
    for (int l : layers) {
      if (!dit.attention_state(l - 1).has_linear_branch()) need_maps.push_back(l);
    }
    if (!need_maps.empty()) {
      ScanOptions o;
      o.only_layers = need_maps;
      o.measure_sensitivity = false;
      o.sample_steps = std::min(settings.steps, 10);
      scan_layers(t2v, settings, calibration, o);
      summary += std::string(summary.empty() ? "" : "; ") + "maps of " + std::to_string(need_maps.size()) +
                 " layers fitted by attention transfer";
    }
    // The mask overrides: exactly these layers are linear, every other one softmax.
    for (std::int64_t l = 0; l < dit.num_layers(); ++l) {
      const bool linear = std::find(layers.begin(), layers.end(), l + 1) != layers.end();
      dit.attention_state(l).mode = linear ? model::AttentionMode::Linear : model::AttentionMode::Softmax;
    }
    summary += std::string(summary.empty() ? "" : "; ") + "linear layers " +
               (layers.empty() ? std::string("none") : format_layer_list(layers));
  }
  return summary;
}

}  // namespace linvideo::method
