#pragma once
// Distilled students (core/linvideo/student.h) as the studio uses them: what a student file says
// about itself, read from its manifest without the weights (any thread, for labels and forms), and
// a scope in which the engine's DiT is the student and after which it is the loaded model again.
#include <QString>
#include <QVector>
#include <memory>

namespace linvideo::model {
class WanDiT;
}
namespace linvideo::pipeline {
struct GenerationSettings;
}

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

struct StudentWeightsBackup;  // student_file.cpp

// Engine thread only. While alive, the DiT holds the student's weights, layer modes and maps; the
// destructor copies the model's own back (also when generation throws or is cancelled). The
// backup is one copy of the DiT's weights on its device: the price of not re-reading the folder.
class ScopedStudent {
 public:
  // Throws linvideo::Error naming the file (not a student, another architecture); the DiT is then
  // unchanged.
  ScopedStudent(model::WanDiT& dit, const QString& path);
  ~ScopedStudent();
  ScopedStudent(const ScopedStudent&) = delete;
  ScopedStudent& operator=(const ScopedStudent&) = delete;

  int steps() const;
  // The student's schedule in `settings`: its fixed sigmas, as many steps, no CFG, Euler.
  void applySchedule(pipeline::GenerationSettings& settings) const;

 private:
  void restore();

  model::WanDiT& dit_;
  std::unique_ptr<StudentWeightsBackup> backup_;
};

}  // namespace linvideo::ui
