#pragma once
// Distilled students (core/method/student.h) as the studio's forms use them: what a student file
// says about itself, read from its manifest without the weights (any thread). Generating with one
// is the engine's job (engine::LayerChoice::Kind::Student).
#include <QString>
#include <QVector>


namespace linvideo::ui {

struct StudentInfo {
  QString path;
  QVector<double> timesteps;  // what the DiT is fed, one per step (sigma * 1000)
  QString error;              // why the file is not a usable student; empty when it is

  bool isValid() const { return error.isEmpty() && !timesteps.isEmpty(); }
  int steps() const { return static_cast<int>(timesteps.size()); }
  QString label() const;  // "4-step student (student.safetensors)"
};

// A file that is not a readable student (a plain sidecar, a broken file) gives its reason in
// `error`, naming the file.
StudentInfo readStudentInfo(const QString& path);

}  // namespace linvideo::ui
