#include "ui/compare/compare_controller.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <cmath>
#include <vector>

// Qt defines `slots` as a keyword; the full ATen headers use it as a method name.
#pragma push_macro("slots")
#undef slots
#include "core/error.h"
#include "core/engine/compare.h"
#include "core/media/video_io.h"
#include "core/pipeline/text_to_video.h"
#include "ui/engine/model_info.h"
#include "ui/engine/student_file.h"
#include "ui/engine/studio_session.h"
#include "ui/generate/clip_writer.h"
#include "ui/generate/generate_controller.h"
#ifdef LINVIDEO_WITH_SHAPES
#include "core/shapes/side_by_side.h"
#endif
#pragma pop_macro("slots")

namespace linvideo::ui {

struct CompareRunState {
  std::vector<media::VideoFrames> frames;
  std::vector<std::string> labels;
};

namespace {

// A variant as the engine's layer choice for one clip (the engine restores the model afterwards).
engine::LayerChoice layerChoice(const CompareVariant& v) {
  switch (v.kind) {
    case VariantKind::Teacher: return {engine::LayerChoice::Kind::Teacher, {}, {}};
    case VariantKind::Converted: return {engine::LayerChoice::Kind::Sidecar, {}, {}};  // the shipped one
    case VariantKind::MaskFile: return {engine::LayerChoice::Kind::Linear, {}, v.path.toStdString()};
    case VariantKind::Student:
      if (v.path.isEmpty()) throw Error(v.label.toStdString() + ": not a distilled student file");
      return {engine::LayerChoice::Kind::Student, v.path.toStdString(), {}};
    case VariantKind::Current: break;
  }
  return {};
}

QString fileSafe(const QString& label) {
  QString out;
  for (const QChar c : label) out += c.isLetterOrNumber() ? c.toLower() : QChar('-');
  return out.left(40);
}

}  // namespace

CompareController::CompareController(StudioSession* session, QObject* parent)
    : QObject(parent),
      session_(session),
      outputFolder_(GenerateController::defaultOutputFolder()),
      metrics_(new CompareMetricsModel(this)),
      state_(std::make_shared<CompareRunState>()) {}

CompareController::~CompareController() = default;

QVector<CompareVariant> CompareController::standardVariants(const ModelInfo& info) {
  QVector<CompareVariant> variants{{VariantKind::Teacher, tr("Teacher (all softmax)"), {}}};
  if (!info.sidecarPath.isEmpty())
    variants.push_back({VariantKind::Converted, tr("Converted (shipped sidecar)"), {}});
  variants.push_back({VariantKind::Current, tr("Current layers"), {}});
  return variants;
}

CompareVariant CompareController::maskVariant(const QString& maskPath) {
  return {VariantKind::MaskFile, tr("Mask %1").arg(QFileInfo(maskPath).fileName()), maskPath};
}

CompareVariant CompareController::studentVariant(const QString& studentPath, QString* error) {
  const StudentInfo info = readStudentInfo(studentPath);
  if (error) *error = info.error;
  if (!info.isValid()) return {VariantKind::Student, info.label(), {}};
  return {VariantKind::Student, info.label(), studentPath};
}

bool CompareController::run(const GenerateRequest& request, const QVector<CompareVariant>& variants) {
  if (isRunning() || variants.size() < 2) return false;
  metrics_->clear();
  runEnded_ = false;
  auto state = std::make_shared<CompareRunState>();
  state_ = state;
  const QString folder = QDir(outputFolder_).filePath(
      QStringLiteral("compare-%1").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))));
  for (int index = 0; index < variants.size(); ++index) {
    const CompareVariant variant = variants[index];
    Task task;
    task.name = QStringLiteral("Compare: %1").arg(variant.label);
    task.run = [this, state, request, variant, index, folder](TaskContext& ctx) {
      ctx.postToUi(this, [this, index, label = variant.label] { emit variantStarted(index, label); });
      engine::Engine& engine = ctx.session().engine();
      pipeline::Callbacks cb;
      cb.cancel = &ctx.cancelToken();
      cb.on_step = [&](const pipeline::StepProgress& p) {
        ctx.progress(p.total ? double(p.step) / p.total : -1,
                     QStringLiteral("%1: step %2/%3").arg(variant.label).arg(p.step).arg(p.total), p.eta_s);
        ctx.postToUi(this, [this, p] { emit stepProgress(p.step, p.total, p.eta_s); });
      };
      cb.on_log = [&](const std::string& line) { ctx.log(QStringLiteral("%1: %2").arg(variant.label, QString::fromStdString(line))); };
      engine::VariantResult result = engine::compare_variant(
          engine, request.toSettings(engine.defaults()), {variant.label.toStdString(), layerChoice(variant)},
          state->frames.empty() ? nullptr : &state->frames.front(), cb);
      if (result.cancelled()) throw TaskCancelled{};
      const engine::Clip& clip = result.clip;
      const pipeline::SampleResult& sampling = clip.result.sampling;
      const engine::ClipMetrics& m = result.metrics;

      VariantMetrics row;
      row.label = variant.label;
      row.layerMask = layerMaskText(clip.modes);
      row.steps = sampling.steps_done;
      row.ditForwards = sampling.dit_forwards;
      row.guidance = clip.settings.guidance;
      row.ditSeconds = sampling.dit_seconds;
      row.totalSeconds = clip.result.total_seconds;
      row.flicker = m.flicker;
      row.psnr = m.psnr;
      row.ssim = m.ssim;
      row.hasEval = m.eval_dimensions.has_value();
      if (m.eval_dimensions) std::copy(m.eval_dimensions->begin(), m.eval_dimensions->end(), row.evalDimensions.begin());
      row.evalTotal = m.eval_total.value_or(0.0);
      row.note = QString::fromStdString(m.note);
      row.path = QDir(folder).filePath(QStringLiteral("%1_%2.mp4").arg(index).arg(fileSafe(variant.label)));
      writeClip(row.path, result.frames, clip.settings, clip.model_name, clip.modes,
                {clip.result.total_seconds, sampling.dit_seconds},
                variant.kind == VariantKind::Student ? variant.path : QString());
      media::VideoFrames frames = std::move(result.frames);
      state->frames.push_back(std::move(frames));
      state->labels.push_back(variant.label.toStdString());
      ctx.postToUi(this, [this, row, index] {
        metrics_->addRow(row);
        emit variantFinished(index);
      });
    };
    TaskHandle* handle = session_->submit(std::move(task));
    const TaskId id = handle->id();
    pending_.push_back(id);
    connect(handle, &TaskHandle::finished, this, [this, id] {
      pending_.removeAll(id);
      if (pending_.isEmpty() && !runEnded_) {
        runEnded_ = true;
        emit finished();
      }
    });
    connect(handle, &TaskHandle::failed, this, [this, id](const QString& message) {
      pending_.removeAll(id);
      abortRun();
      if (!runEnded_) {
        runEnded_ = true;
        emit failed(message);
      }
    });
    connect(handle, &TaskHandle::cancelled, this, [this, id] {
      pending_.removeAll(id);
      abortRun();  // the variants after a cancelled one are cancelled too
      if (pending_.isEmpty() && !runEnded_) {
        runEnded_ = true;
        emit cancelled();
      }
    });
  }
  return true;
}

void CompareController::abortRun() {
  for (const TaskId id : std::as_const(pending_)) session_->cancel(id);
}

void CompareController::cancel() { abortRun(); }

QStringList CompareController::clipPaths() const {
  QStringList paths;
  for (int i = 0; i < metrics_->rowCount(); ++i) paths << metrics_->row(i).path;
  return paths;
}

QStringList CompareController::labels() const {
  QStringList labels;
  for (int i = 0; i < metrics_->rowCount(); ++i) labels << metrics_->row(i).label;
  return labels;
}

void CompareController::exportSideBySide(const QString& path) {
  const std::shared_ptr<CompareRunState> state = state_;
  Task task;
  task.name = QStringLiteral("Exporting comparison");
  task.run = [this, state, path](TaskContext& ctx) {
#ifdef LINVIDEO_WITH_SHAPES
    if (state->frames.empty()) throw Error("nothing to export: run a comparison first");
    std::vector<shapes::LabelledClip> clips;
    for (std::size_t i = 0; i < state->frames.size(); ++i) clips.push_back({state->labels[i], &state->frames[i]});
    ctx.progress(-1, QStringLiteral("Composing %1 columns").arg(clips.size()));
    QDir().mkpath(QFileInfo(path).absolutePath());
    media::write_video(path.toStdString(), shapes::side_by_side(clips));
    ctx.postToUi(this, [this, path] { emit exported(path); });
#else
    (void)state, (void)path, (void)ctx;
    throw Error("this build has no OpenCV: side-by-side export is unavailable");
#endif
  };
  TaskHandle* handle = session_->submit(std::move(task));
  connect(handle, &TaskHandle::failed, this, &CompareController::exportFailed);
}

}  // namespace linvideo::ui
