#include "core/method/student.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/atomic_write.h"
#include "core/io/safetensors.h"
#include "core/method/sidecar.h"
#include "core/model/attention_scope.h"
#include "core/model/wan_dit.h"
#include "core/sampling/flow_schedule.h"

namespace linvideo::method {
namespace {

constexpr const char* kFormat = "linvideo-student";

nlohmann::json manifest_of(const io::SafetensorsFile& file) {
  const auto it = file.header().metadata.find("linvideo");
  if (it == file.header().metadata.end()) return nlohmann::json();
  return nlohmann::json::parse(it->second, nullptr, false);
}

// The manifest's format when it is an object with a string "format", else "" (never throws: any
// safetensors file may be asked).
std::string format_of(const nlohmann::json& m) {
  if (!m.is_object()) return "";
  const auto it = m.find("format");
  return it != m.end() && it->is_string() ? it->get<std::string>() : "";
}

// The schedule of a student manifest, every field typed and bounded; errors name the file and field.
FewStepSchedule schedule_of(const nlohmann::json& m, const std::string& path) {
  const std::string label = path + ": student manifest";
  const auto sch = m.find("schedule");
  if (sch == m.end() || !sch->is_object()) throw Error(label + ": field 'schedule' must be an object");
  const auto raw = sch->find("raw_timesteps");
  if (raw == sch->end() || !raw->is_array() || raw->empty() || raw->size() > 1000)
    throw Error(label + ": field 'schedule.raw_timesteps' must be a list of 1 to 1000 numbers");
  std::vector<double> t;
  for (std::size_t i = 0; i < raw->size(); ++i) {
    if (!(*raw)[i].is_number())
      throw Error(label + ": field 'schedule.raw_timesteps' entry " + std::to_string(i) + " must be a number (got " +
                  (*raw)[i].dump() + ")");
    t.push_back((*raw)[i].get<double>());
  }
  if (sch->find("shift") == sch->end()) throw Error(label + ": field 'schedule.shift' is missing");
  const double shift = read_json_number(*sch, "shift", 1e-6, 1e6, 1.0, label + " schedule");
  return make_few_step_schedule(t, shift, label + ": schedule");
}

// The schedule of an open student file; Error unless it is one.
FewStepSchedule student_schedule(const io::SafetensorsFile& file, const std::string& path) {
  const nlohmann::json m = manifest_of(file);
  if (format_of(m) != kFormat) {
    throw Error(path + ": not a distilled student file (no '" + std::string(kFormat) +
                "' manifest; a LinVideo sidecar or another file; `linvideo distill` or the studio's Distill makes one)");
  }
  return schedule_of(m, path);
}

}  // namespace

std::vector<double> FewStepSchedule::timesteps() const {
  std::vector<double> t;
  for (double s : sigmas) t.push_back(s * 1000.0);
  return t;
}

FewStepSchedule make_few_step_schedule(const std::vector<double>& raw, double shift, const std::string& option) {
  if (raw.empty()) throw Error(option + ": give at least one timestep");
  if (!(shift > 0)) throw Error(option + ": the shift must be positive, got " + std::to_string(shift));
  FewStepSchedule s;
  s.raw_timesteps = raw, s.shift = shift;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (!(raw[i] > 0 && raw[i] <= 1000) || (i > 0 && !(raw[i] < raw[i - 1]))) {
      throw Error(option + ": timesteps must decrease strictly within (0, 1000], got " + std::to_string(raw[i]) +
                  " at position " + std::to_string(i + 1));
    }
    s.sigmas.push_back(sampling::shift_sigma(raw[i] / 1000.0, shift));
  }
  return s;
}

void save_student(const std::string& path, const model::WanDiT& dit, const FewStepSchedule& schedule,
                  const std::string& note) {
  std::string sidecar_manifest;
  auto tensors = sidecar_contents(dit, note, &sidecar_manifest);
  for (const auto& [name, t] : dit.named_weights()) tensors.emplace_back(name, t.detach());
  nlohmann::json manifest = nlohmann::json::parse(sidecar_manifest);
  manifest["format"] = kFormat;
  manifest["schedule"] = {{"raw_timesteps", schedule.raw_timesteps}, {"shift", schedule.shift},
                          {"sigmas", schedule.sigmas}, {"timesteps", schedule.timesteps()},
                          {"guidance", 1.0}, {"sampler", "euler"}};
  io::write_safetensors(path, tensors, {{"linvideo", manifest.dump()}});
  write_text_atomically(path + ".json", manifest.dump(2) + "\n");
}

bool is_student_file(const std::string& path) {
  const io::SafetensorsFile file(path);
  return format_of(manifest_of(file)) == kFormat;
}

FewStepSchedule read_student_schedule(const std::string& path) {
  return student_schedule(io::SafetensorsFile(path), path);
}

FewStepSchedule load_student(const std::string& path, model::WanDiT& dit) {
  FewStepSchedule schedule;
  {
    const io::SafetensorsFile file(path);  // opened once: the manifest, then the weights
    schedule = student_schedule(file, path);
    at::NoGradGuard no_grad;
    for (const auto& [name, t] : dit.named_weights()) {
      if (!file.contains(name)) throw Error(path + ": student lacks tensor '" + name + "'");
      const at::Tensor w = file.tensor(name);
      if (w.sizes() != t.sizes()) {
        throw Error(path + ": tensor '" + name + "' has shape " + c10::str(w.sizes()) + ", the model " + c10::str(t.sizes()));
      }
      t.copy_(w);
    }
  }
  load_sidecar(path, dit);  // modes and maps
  return schedule;
}

void use_few_step_schedule(const FewStepSchedule& schedule, pipeline::GenerationSettings& s) {
  s.fixed_sigmas = schedule.sigmas;
  s.steps = static_cast<int>(schedule.sigmas.size());
  s.guidance = 1.0;
  s.shift = schedule.shift;
  s.solver = sampling::SolverKind::Euler;
}

struct StudentScope::Backup {
  std::vector<at::Tensor> weights;                   // clones, in named_weights() order
  std::optional<model::AttentionStateScope> states;  // deep copies; restored when reset
  FewStepSchedule schedule;
};

StudentScope::StudentScope(model::WanDiT& dit, const std::string& path) : dit_(dit), backup_(std::make_unique<Backup>()) {
  at::NoGradGuard no_grad;
  for (const auto& [name, t] : dit.named_weights()) backup_->weights.push_back(t.clone());
  backup_->states.emplace(dit);  // installing the student's maps may write in place
  try {
    backup_->schedule = load_student(path, dit);
  } catch (...) {
    restore();  // a half-copied student must not stay in the model
    throw;
  }
}

StudentScope::~StudentScope() { restore(); }

const FewStepSchedule& StudentScope::schedule() const { return backup_->schedule; }

void StudentScope::keep() {
  if (!backup_) return;
  backup_->states->keep();
  backup_.reset();
}

void StudentScope::restore() {
  if (!backup_) return;
  at::NoGradGuard no_grad;
  std::size_t i = 0;
  for (const auto& [name, t] : dit_.named_weights()) t.copy_(backup_->weights[i++]);
  backup_.reset();  // its AttentionStateScope puts the attention states back
}

}  // namespace linvideo::method
