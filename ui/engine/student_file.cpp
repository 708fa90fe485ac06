#include "ui/engine/student_file.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <exception>
#include <string>
#include <utility>
#include <vector>

// Qt defines `slots` as a keyword; the full ATen headers use it as a method name.
#pragma push_macro("slots")
#undef slots
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "core/io/safetensors.h"
#include "core/linvideo/student.h"
#include "core/model/wan_dit.h"
#pragma pop_macro("slots")

namespace linvideo::ui {

struct StudentWeightsBackup {
  std::vector<at::Tensor> weights;  // clones, in named_weights() order
  std::vector<model::AttentionLayerState> states;
  linvideo_method::FewStepSchedule schedule;
};

QString StudentInfo::label() const {
  return QObject::tr("%1-step student (%2)").arg(steps()).arg(QFileInfo(path).fileName());
}

StudentInfo readStudentInfo(const QString& path) {
  StudentInfo info;
  info.path = path;
  try {
    const io::SafetensorsFile file(path.toStdString());
    const auto& metadata = file.header().metadata;
    const auto it = metadata.find("linvideo");
    const QJsonObject manifest =
        it == metadata.end()
            ? QJsonObject()
            : QJsonDocument::fromJson(QByteArray::fromStdString(it->second)).object();
    if (manifest.value("format").toString() != QLatin1String("linvideo-student")) {
      info.error = QObject::tr(
                       "%1: not a distilled student (a LinVideo sidecar or another file; "
                       "`linvideo distill` or the Train panel's Distill makes one)")
                       .arg(path);
      return info;
    }
    for (const QJsonValue& t : manifest.value("schedule").toObject().value("timesteps").toArray())
      info.timesteps << t.toDouble();
    if (info.timesteps.isEmpty())
      info.error = QObject::tr("%1: the student's schedule is missing").arg(path);
  } catch (const std::exception& e) {
    info.error = QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0);
  }
  return info;
}

ScopedStudent::ScopedStudent(model::WanDiT& dit, const QString& path)
    : dit_(dit), backup_(std::make_unique<StudentWeightsBackup>()) {
  at::NoGradGuard no_grad;
  for (const auto& [name, t] : dit.named_weights()) backup_->weights.push_back(t.clone());
  for (std::int64_t l = 0; l < dit.num_layers(); ++l) {
    model::AttentionLayerState s = dit.attention_state(l);
    // Deep copies: installing the student's maps may write into the existing tensors.
    if (s.w_q.defined()) s.w_q = s.w_q.clone();
    if (s.w_k.defined()) s.w_k = s.w_k.clone();
    if (s.mix_score.defined()) s.mix_score = s.mix_score.clone();
    backup_->states.push_back(std::move(s));
  }
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
  for (std::size_t l = 0; l < backup_->states.size(); ++l)
    dit_.attention_state(static_cast<std::int64_t>(l)) = backup_->states[l];
  backup_.reset();
}

int ScopedStudent::steps() const { return static_cast<int>(backup_->schedule.sigmas.size()); }

void ScopedStudent::applySchedule(pipeline::GenerationSettings& settings) const {
  linvideo_method::use_few_step_schedule(backup_->schedule, settings);
}

}  // namespace linvideo::ui
