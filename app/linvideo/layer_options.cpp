#include "app/linvideo/layer_options.h"

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/method/student.h"

namespace linvideo::cli {

void add_layer_options(CLI::App* cmd, LayerOptions& o) {
  cmd->add_flag("--teacher", o.teacher, "Every layer softmax: do not apply the model folder's shipped LinVideo sidecar");
  cmd->add_option("--sidecar", o.sidecar, "A LinVideo sidecar (per-layer modes and maps) instead of the folder's");
  cmd->add_option("--student", o.student, "A distilled student (linvideo distill): its weights and few-step schedule");
  cmd->add_option("--linvideo", o.linvideo, "A sidecar or a student (the older name of --sidecar and --student)");
  cmd->add_option("--linear", o.linear,
                  "Make exactly these layers linear, the rest softmax (1-based, e.g. 2-8,10-13, or a layer-mask .json)");
}

engine::LayerChoice layer_choice(const LayerOptions& o) {
  using Kind = engine::LayerChoice::Kind;
  const int files = !o.sidecar.empty() + !o.student.empty() + !o.linvideo.empty();
  if (o.teacher && (files || !o.linear.empty()))
    throw Error("--teacher runs every layer softmax; it cannot be combined with --sidecar, --student, --linvideo or --linear");
  if (files > 1) throw Error("give one of --sidecar, --student and --linvideo");
  if (o.teacher) return {Kind::Teacher, {}, {}};
  if (!o.student.empty()) {
    if (!method::is_student_file(o.student))
      throw Error(o.student + ": not a distilled student (a sidecar goes with --sidecar)");
    if (!o.linear.empty()) throw Error("--student sets every layer; it cannot be combined with --linear");
    return {Kind::Student, o.student, {}};
  }
  if (!o.sidecar.empty()) {
    if (method::is_student_file(o.sidecar))
      throw Error(o.sidecar + ": a distilled student, not a sidecar (give it with --student)");
    return {Kind::Sidecar, o.sidecar, o.linear};
  }
  if (!o.linvideo.empty()) return {Kind::Sidecar, o.linvideo, o.linear};  // a student is taken as one
  if (!o.linear.empty()) return {Kind::Linear, {}, o.linear};
  return {};
}

}  // namespace linvideo::cli
