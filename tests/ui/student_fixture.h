#pragma once
// A distilled-student file for the studio's tests without a distillation run: the loaded model's
// weights scaled by 0.9 (so a student left in the model would show), only `linearLayer` linear
// (its maps from the shipped sidecar) and a few-step schedule, written by the engine's
// save_student. The engine's weights and modes are left as they were.
#include <ATen/core/Tensor.h>  // not ATen.h: Qt's `slots` macro breaks the full headers
#include <ATen/core/grad_mode.h>

#include <QString>
#include <string>
#include <vector>

#include "core/method/student.h"
#include "core/model/wan_dit.h"
#include "core/pipeline/text_to_video.h"
#include "ui/engine/studio_session.h"

namespace linvideo::test {

inline QString writeTestStudent(ui::StudioSession& session, const QString& path,
                                const std::vector<double>& rawTimesteps, int linearLayer,
                                QString* error = nullptr) {
  const bool ok = session.runAndWait(
      [&](ui::TaskContext& ctx) {
        model::WanDiT& dit = ctx.session().textToVideo().dit();
        std::vector<model::AttentionMode> before;
        for (std::int64_t l = 0; l < dit.num_layers(); ++l) {
          before.push_back(dit.attention_state(l).mode);
          dit.attention_state(l).mode =
              l + 1 == linearLayer ? model::AttentionMode::Linear : model::AttentionMode::Softmax;
        }
        const auto schedule = method::make_few_step_schedule(
            rawTimesteps, ctx.session().modelDefaults().shift);
        at::NoGradGuard no_grad;
        std::vector<at::Tensor> own;
        for (const auto& [name, t] : dit.named_weights()) {
          own.push_back(t.clone());
          t.mul_(0.9);
        }
        method::save_student(path.toStdString(), dit, schedule, "studio test");
        std::size_t i = 0;
        for (const auto& [name, t] : dit.named_weights()) t.copy_(own[i++]);
        for (std::int64_t l = 0; l < dit.num_layers(); ++l)
          dit.attention_state(l).mode = before[static_cast<std::size_t>(l)];
      },
      error);
  return ok ? path : QString();
}

// Every DiT weight, copied: the model can be checked bit for bit after a student was used.
inline std::vector<at::Tensor> copyDitWeights(ui::StudioSession& session) {
  std::vector<at::Tensor> weights;
  session.runAndWait([&](ui::TaskContext& ctx) {
    for (const auto& [name, t] : ctx.session().textToVideo().dit().named_weights())
      weights.push_back(t.clone());
  });
  return weights;
}

inline bool sameTensors(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  if (a.size() != b.size() || a.empty()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].equal(b[i])) return false;
  }
  return true;
}

}  // namespace linvideo::test
