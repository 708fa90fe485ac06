#include "ui/train/train_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/engine/engine.h"
#include "core/error.h"
#include "core/json_fields.h"
#include "ui/engine/studio_session.h"
#include "core/engine/layers.h"
#include "ui/layers/layer_table_model.h"
#include "ui/train/prompts_file.h"

namespace linvideo::ui {
namespace {

const QString kLastRunKey = QStringLiteral("train/lastRun");
const QString kSettingsFile = QStringLiteral("studio-train.json");
const QString kSidecarFile = QStringLiteral("linvideo.safetensors");

TrainStepReport toReport(const method::TransferStep& s) {
  TrainStepReport r;
  r.step = s.step;
  r.total = s.total;
  for (const auto& [name, value] : s.losses) r.losses.insert(QString::fromStdString(name), value);
  for (double v : s.r) r.r << v;
  r.linearNow = s.linear_now;
  r.etaSeconds = s.eta_seconds;
  return r;
}

}  // namespace

QString TrainSettings::toJson() const {
  QJsonObject o{{"objective", objective},     {"target_linear", targetLinear},
                {"steps", steps},             {"lr", lr},
                {"lr_r", lrR},                {"lambda", lambda},
                {"prompts_file", promptsFile}, {"max_prompts", maxPrompts},
                {"cache_steps", cacheSteps},  {"warmup_steps", warmupSteps},
                {"checkpoint_every", checkpointEvery}, {"run_dir", runDir}};
  return QString::fromUtf8(QJsonDocument(o).toJson());
}

TrainSettings TrainSettings::fromJson(const QString& json, QString* error, const QString& label) {
  // The engine's typed readers (core/json_fields.h): a wrong type or range names the file and field.
  const std::string where = label.toStdString();
  TrainSettings s;
  try {
    const nlohmann::json j = parse_json_object(json.toStdString(), where);
    auto text = [&](const char* key, const QString& fallback) {
      return QString::fromStdString(read_json_string(j, key, fallback.toStdString(), where));
    };
    s.objective = text("objective", s.objective);
    if (s.objective != QLatin1String("adm") && s.objective != QLatin1String("mse"))
      throw Error(where + ": field 'objective' must be \"adm\" or \"mse\" (got \"" + s.objective.toStdString() + "\")");
    s.targetLinear = int(read_json_int(j, "target_linear", 0, 4096, s.targetLinear, where));
    s.steps = int(read_json_int(j, "steps", 1, 10000000, s.steps, where));
    s.lr = read_json_number(j, "lr", 0, 10, s.lr, where);
    s.lrR = read_json_number(j, "lr_r", 0, 10, s.lrR, where);
    s.lambda = read_json_number(j, "lambda", 0, 1e6, s.lambda, where);
    s.promptsFile = text("prompts_file", QString());
    s.maxPrompts = int(read_json_int(j, "max_prompts", 0, 1000000, s.maxPrompts, where));
    s.cacheSteps = int(read_json_int(j, "cache_steps", 0, 10000, s.cacheSteps, where));
    s.warmupSteps = int(read_json_int(j, "warmup_steps", 0, 10000000, s.warmupSteps, where));
    s.checkpointEvery = int(read_json_int(j, "checkpoint_every", 0, 10000000, s.checkpointEvery, where));
    s.runDir = text("run_dir", QString());
  } catch (const Error& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return TrainSettings{};
  }
  if (error) error->clear();
  return s;
}

TrainController::TrainController(StudioSession* session, bool persist, QObject* parent)
    : RunController(session, persist, kLastRunKey, kSettingsFile, kSidecarFile, parent) {
  qRegisterMetaType<TrainStepReport>();
}

bool TrainController::start(const TrainSettings& settings) {
  TrainSettings s = settings;
  if (s.runDir.isEmpty()) s.runDir = defaultRunDir();
  if (s.promptsFile.isEmpty()) s.promptsFile = defaultPromptsFile();
  if (checkpointStep(s.runDir) > 0) {
    emit failed(tr("%1 already holds a run; resume it or choose a new run folder").arg(s.runDir));
    return false;
  }
  return launch(s, s.runDir);
}

bool TrainController::resumeRun(const QString& runDir) {
  if (runDir.isEmpty()) return false;
  const QString json = readRunSettings(runDir);
  if (json.isEmpty()) {
    const QString message = tr("%1: no studio run settings (%2) to resume").arg(runDir, kSettingsFile);
    return fail(message, message);
  }
  QString error;
  TrainSettings s = TrainSettings::fromJson(json, &error, QDir(runDir).filePath(kSettingsFile));
  if (!error.isEmpty()) return fail(error, error);
  s.runDir = runDir;
  return launch(s, runDir);
}

void TrainController::replayMetrics(const QString& runDir) {
  forEachCheckpointedStep(runDir, [this](qint64 step, const QJsonObject& o) {
    TrainStepReport r;
    r.step = step;
    r.total = settings_.steps;
    const QJsonObject losses = o.value("losses").toObject();
    for (auto it = losses.begin(); it != losses.end(); ++it) r.losses.insert(it.key(), it->toDouble());
    for (const QJsonValue& v : o.value("r").toArray()) r.r << v.toDouble();
    r.linearNow = o.value("linear").toInt();
    emit stepReported(r);
  });
}

bool TrainController::launch(const TrainSettings& s, const QString& runDir) {
  if (isActive()) return false;
  QString error;
  QStringList prompts = readPromptsFile(s.promptsFile, &error);
  if (prompts.isEmpty()) return fail(error, error);
  if (s.maxPrompts > 0 && prompts.size() > s.maxPrompts) prompts = prompts.mid(0, s.maxPrompts);
  if (!beginRun(runDir, s.toJson(), &error)) return fail(error, error);
  settings_ = s;
  sidecar_.clear();
  emit runStarted(runDir);
  replayMetrics(runDir);

  engine::TransferRequest request;
  method::TransferOptions& o = request.options;
  o.run_dir = runDir.toStdString();
  o.target_linear = s.targetLinear;
  o.objective = s.objective.toStdString();
  o.steps = s.steps;
  o.lr = s.lr;
  o.lr_r = s.lrR;
  o.lambda = s.lambda;
  o.warmup_steps = s.warmupSteps;
  o.checkpoint_every = std::max(1, s.checkpointEvery);
  for (const QString& p : prompts) request.cache.prompts.push_back(p.toStdString());
  request.cache.steps = s.cacheSteps;
  request.resume = true;  // start() has refused a folder that holds a run; resumeRun() continues one
  QPointer<TrainController> self(this);
  LayerTableModel* layers = session_->layers();

  Task task;
  task.name = tr("Training %1").arg(QFileInfo(runDir).fileName());
  task.run = [self, layers, request](TaskContext& ctx) {
    engine::TrainCallbacks cb;
    cb.cancel = &ctx.cancelToken();
    cb.on_log = [&ctx](const std::string& line) { ctx.log(QString::fromStdString(line)); };
    // 1. The trajectory cache, one trajectory at a time (resumable).
    cb.on_cache = [&ctx, self](std::int64_t done, std::int64_t total) {
      const double fraction = total > 0 ? std::min(1.0, double(done) / double(total)) : 1.0;
      const QString message = QStringLiteral("Trajectory cache %1/%2").arg(done).arg(total);
      ctx.progress(fraction, message);
      ctx.postToUi(self, [self, fraction, message] {
        if (self) emit self->cacheProgress(fraction, message);
      });
    };
    // 2. Training; the engine installs a finished run's sidecar and otherwise restores the layers.
    cb.on_transfer_step = [&ctx, self](const method::TransferStep& step) {
      const TrainStepReport report = toReport(step);
      reportStep(ctx, step.step, step.total, step.eta_seconds);
      ctx.postToUi(self, [self, report] {
        if (self) emit self->stepReported(report);
      });
    };
    const engine::TransferOutcome out = ctx.session().engine().transfer(request, cb);
    const engine::LayerTable now = ctx.session().engine().layers();
    const QString sidecar = QString::fromStdString(out.run.sidecar);
    ctx.postToUi(layers, [layers, now] { layers->updateFromEngine(now); });
    ctx.postToUi(self, [self, sidecar] {
      if (self) self->sidecar_ = sidecar;
    });
    if (out.cancelled()) throw TaskCancelled{};
  };
  submit(std::move(task), State::Caching, tr("Preparing the trajectory cache…"));
  return true;
}

void TrainController::taskFinished() {
  setState(State::Finished, tr("Finished: %1 installed; its layers are in the Layers view").arg(sidecar_));
  emit finished(sidecar_);
}

}  // namespace linvideo::ui
