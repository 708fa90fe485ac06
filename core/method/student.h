#pragma once
// A few-step student distilled by DMD2 (core/method/distill.h): every DiT weight trained, so
// unlike a sidecar it is a full weight file. It also holds the sidecar's tensors and layer modes
// (load_sidecar reads it) and, in its manifest, the schedule the student was trained on, which
// generation picks up: fixed timesteps, guidance 1 (no CFG), Euler between the listed sigmas.
#include <memory>
#include <string>
#include <vector>

#include "core/pipeline/text_to_video.h"

namespace linvideo::model {
class WanDiT;
}

namespace linvideo::method {

struct FewStepSchedule {
  std::vector<double> raw_timesteps;  // as configured, 0..1000 before the shift (e.g. 1000 750 500 250)
  double shift = 1.0;
  std::vector<double> sigmas;         // shift_sigma(raw / 1000, shift): the sigmas sampled at
  std::vector<double> timesteps() const;  // sigma * 1000, what the DiT is fed
};

// Validates (strictly decreasing, each in (0, 1000], shift > 0) and shifts; Error names `option`.
FewStepSchedule make_few_step_schedule(const std::vector<double>& raw_timesteps, double shift,
                                       const std::string& option = "--student-timesteps");

// Writes the student's weights (as stored in `dit`), its attention states and the schedule.
// A manifest copy goes beside it as PATH.json.
void save_student(const std::string& path, const model::WanDiT& dit, const FewStepSchedule& schedule,
                  const std::string& note = {});
// True for a file save_student wrote (a plain sidecar gives false).
bool is_student_file(const std::string& path);
// The schedule in a student file's manifest, without reading its weights; Error naming the file
// (and the field) when it is not a student or the schedule is malformed.
FewStepSchedule read_student_schedule(const std::string& path);
// Copies the student's weights and attention states into `dit` (same architecture; Error naming the
// file and tensor otherwise) and returns its schedule.
FewStepSchedule load_student(const std::string& path, model::WanDiT& dit);
// Generation with the schedule: the fixed sigmas, as many steps, guidance 1, Euler.
void use_few_step_schedule(const FewStepSchedule& schedule, pipeline::GenerationSettings& settings);


// A scope in which `dit` is a student and after which it is the model it was: a copy of every
// weight and (deep) attention state is kept and copied back by the destructor, also when the code
// inside throws or is cancelled. The price is one copy of the DiT's weights on its device, instead
// of reading the model folder again. Throws Error naming the file (not a student, another
// architecture); the DiT is then unchanged.
class StudentScope {
 public:
  StudentScope(model::WanDiT& dit, const std::string& path);
  ~StudentScope();
  StudentScope(const StudentScope&) = delete;
  StudentScope& operator=(const StudentScope&) = delete;
  const FewStepSchedule& schedule() const;
  // The student stays: the destructor leaves the model alone (and the copy is freed now).
  void keep();

 private:
  struct Backup;
  void restore();
  model::WanDiT& dit_;
  std::unique_ptr<Backup> backup_;
};

}  // namespace linvideo::method
