#include "ui/engine/student_file.h"

#include <QFileInfo>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// Qt defines `slots` as a keyword; the full ATen headers use it as a method name.
#pragma push_macro("slots")
#undef slots
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "core/linvideo/student.h"
#include "core/model/attention_scope.h"
#include "core/model/wan_dit.h"
#pragma pop_macro("slots")

namespace linvideo::ui {

struct StudentWeightsBackup {
  std::vector<at::Tensor> weights;  // clones, in named_weights() order
  std::optional<model::AttentionStateScope> states;  // restores the attention states when reset
  linvideo_method::FewStepSchedule schedule;
};

QString StudentInfo::label() const {
  return QObject::tr("%1-step student (%2)").arg(steps()).arg(QFileInfo(path).fileName());
}

StudentInfo readStudentInfo(const QString& path) {
  StudentInfo info;
  info.path = path;
  try {
    // The engine owns the student format (core/linvideo/student): one reader for the CLI and here.
    for (const double t : linvideo_method::read_student_schedule(path.toStdString()).timesteps()) info.timesteps << t;
  } catch (const std::exception& e) {
    info.error = QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0);
  }
  return info;
}

ScopedStudent::ScopedStudent(model::WanDiT& dit, const QString& path)
    : dit_(dit), backup_(std::make_unique<StudentWeightsBackup>()) {
  at::NoGradGuard no_grad;
  for (const auto& [name, t] : dit.named_weights()) backup_->weights.push_back(t.clone());
  backup_->states.emplace(dit);  // deep copies: installing the student's maps may write in place
  try {
    backup_->schedule = linvideo_method::load_student(path.toStdString(), dit);
  } catch (...) {
    restore();  // a half-copied student must not stay in the model
    throw;
  }
}

ScopedStudent::~ScopedStudent() { restore(); }

void ScopedStudent::restore() {
  if (!backup_) return;
  at::NoGradGuard no_grad;
  std::size_t i = 0;
  for (const auto& [name, t] : dit_.named_weights()) t.copy_(backup_->weights[i++]);
  backup_.reset();  // its AttentionStateScope puts the attention states back
}

int ScopedStudent::steps() const { return static_cast<int>(backup_->schedule.sigmas.size()); }

void ScopedStudent::applySchedule(pipeline::GenerationSettings& settings) const {
  linvideo_method::use_few_step_schedule(backup_->schedule, settings);
}

}  // namespace linvideo::ui
