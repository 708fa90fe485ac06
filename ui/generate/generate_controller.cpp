#include "ui/generate/generate_controller.h"

#include <QStandardPaths>
#include <QDir>
#include <optional>

// Qt defines `slots` as a keyword; the full ATen headers use it as a method name.
#pragma push_macro("slots")
#undef slots
#include "core/pipeline/clip_tags.h"
#include "core/pipeline/text_to_video.h"
#include "core/pipeline/video_frames.h"
#pragma pop_macro("slots")
#include "ui/engine/student_file.h"
#include "ui/engine/studio_session.h"
#include "ui/generate/clip_writer.h"
#include "ui/widgets/frame_images.h"

namespace linvideo::ui {

GenerateController::GenerateController(StudioSession* session, QObject* parent)
    : QObject(parent), session_(session), outputFolder_(defaultOutputFolder()) {
  qRegisterMetaType<GalleryEntry>();
}

QString GenerateController::defaultOutputFolder() {
  return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
      .filePath(QStringLiteral("clips"));
}

bool GenerateController::start(const GenerateRequest& request) {
  if (running_) return false;
  running_ = true;
  const QString folder = outputFolder_;
  Task task;
  task.name = QStringLiteral("Generating (seed %1)").arg(request.seed);
  task.run = [this, request, folder](TaskContext& ctx) {
    pipeline::TextToVideo& t2v = ctx.session().textToVideo();
    pipeline::GenerationSettings s = request.toSettings(ctx.session().modelDefaults());
    std::optional<ScopedStudent> student;  // the model comes back when the task ends
    if (!request.student.isEmpty()) {
      student.emplace(t2v.dit(), request.student);
      student->applySchedule(s);
    }
    const std::vector<std::string> modes = pipeline::attention_mode_names(t2v.dit());
    const std::string modelName = t2v.dit().config().family();
    int step = 0;
    pipeline::Callbacks cb;
    cb.cancel = &ctx.cancelToken();
    cb.on_step = [&](const pipeline::StepProgress& p) {
      step = p.step;
      ctx.progress(p.total ? double(p.step) / p.total : -1,
                   QStringLiteral("step %1/%2").arg(p.step).arg(p.total), p.eta_s);
      ctx.postToUi(this, [this, p] { emit stepProgress(p.step, p.total, p.eta_s, p.seconds_per_step); });
    };
    cb.on_preview = [&](const at::Tensor& estimate) {
      const media::VideoFrames frames = pipeline::to_video_frames(estimate);
      const QImage image = frameImage(frames, frames.count / 2);
      const int total = s.steps, at = step;
      ctx.postToUi(this, [this, image, at, total] { emit preview(image, at, total); });
    };
    cb.on_log = [&](const std::string& line) { ctx.log(QString::fromStdString(line)); };
    const pipeline::GenerateResult result = t2v.generate(s, cb);
    if (result.sampling.status == pipeline::Status::Cancelled) throw TaskCancelled{};
    ctx.progress(-1, QStringLiteral("Encoding MP4"));
    const GalleryEntry entry =
        writeClip(newClipPath(folder, s.seed), pipeline::to_video_frames(result.video), s, modelName, modes,
                  {result.total_seconds, result.sampling.dit_seconds}, request.student);
    ctx.postToUi(this, [this, entry] {
      running_ = false;
      emit finished(entry);
    });
  };
  TaskHandle* handle = session_->submit(std::move(task));
  task_ = handle->id();
  // The handle's end signals arrive after every postToUi of the task (same queue, in order).
  connect(handle, &TaskHandle::finished, this, [this] { running_ = false; });
  connect(handle, &TaskHandle::failed, this, [this](const QString& message) {
    running_ = false;
    emit failed(message);
  });
  connect(handle, &TaskHandle::cancelled, this, [this] {
    running_ = false;
    emit cancelled();
  });
  emit started(request);
  return true;
}

void GenerateController::cancel() {
  if (running_) session_->cancel(task_);
}

}  // namespace linvideo::ui
