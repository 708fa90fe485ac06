#include "ui/generate/generate_controller.h"

#include <QStandardPaths>
#include <QDir>

// Qt defines `slots` as a keyword; the full ATen headers use it as a method name.
#pragma push_macro("slots")
#undef slots
#include "core/engine/engine.h"
#include "core/pipeline/text_to_video.h"
#include "core/pipeline/video_frames.h"
#pragma pop_macro("slots")
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
    engine::Engine& engine = ctx.session().engine();
    engine::ClipRequest clipRequest;
    clipRequest.settings = request.toSettings(engine.defaults());
    if (!request.student.isEmpty()) clipRequest.layers = {engine::LayerChoice::Kind::Student, request.student.toStdString(), {}};
    int step = 0;
    int total = clipRequest.settings.steps;  // a student's schedule may change it: on_step says
    pipeline::Callbacks cb;
    cb.cancel = &ctx.cancelToken();
    cb.on_step = [&](const pipeline::StepProgress& p) {
      step = p.step;
      total = p.total;
      ctx.progress(p.total ? double(p.step) / p.total : -1,
                   QStringLiteral("step %1/%2").arg(p.step).arg(p.total), p.eta_s);
      ctx.postToUi(this, [this, p] { emit stepProgress(p.step, p.total, p.eta_s, p.seconds_per_step); });
    };
    cb.on_preview = [&](const at::Tensor& estimate) {
      const media::VideoFrames frames = pipeline::to_video_frames(estimate);
      const QImage image = frameImage(frames, frames.count / 2);
      const int at = step, of = total;
      ctx.postToUi(this, [this, image, at, of] { emit preview(image, at, of); });
    };
    cb.on_log = [&](const std::string& line) { ctx.log(QString::fromStdString(line)); };
    const engine::Clip clip = engine.generate(clipRequest, cb);
    if (clip.cancelled()) throw TaskCancelled{};
    ctx.progress(-1, QStringLiteral("Encoding MP4"));
    const GalleryEntry entry =
        writeClip(newClipPath(folder, clip.settings.seed), pipeline::to_video_frames(clip.result.video), clip.settings,
                  clip.model_name, clip.modes, {clip.result.total_seconds, clip.result.sampling.dit_seconds},
                  request.student);
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
