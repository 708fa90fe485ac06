#include "ui/train/train_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/linvideo/sidecar.h"
#include "core/linvideo/trajectory_cache.h"
#include "core/linvideo/transfer.h"
#include "core/model/attention_scope.h"
#include "core/model/wan_dit.h"
#include "core/pipeline/text_to_video.h"
#include "ui/engine/studio_session.h"
#include "core/engine/engine.h"
#include "ui/layers/layer_engine.h"
#include "ui/layers/layer_table_model.h"
#include "ui/train/prompts_file.h"

namespace linvideo::ui {
namespace {

const QString kLastRunKey = QStringLiteral("train/lastRun");
const QString kSettingsFile = QStringLiteral("studio-train.json");
const QString kSidecarFile = QStringLiteral("linvideo.safetensors");

TrainStepReport toReport(const linvideo_method::TransferStep& s) {
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

  linvideo_method::TransferOptions o;
  o.run_dir = runDir.toStdString();
  o.cache_dir = QDir(runDir).filePath(QStringLiteral("cache")).toStdString();
  o.target_linear = s.targetLinear;
  o.objective = s.objective.toStdString();
  o.steps = s.steps;
  o.lr = s.lr;
  o.lr_r = s.lrR;
  o.lambda = s.lambda;
  o.warmup_steps = s.warmupSteps;
  o.checkpoint_every = std::max(1, s.checkpointEvery);
  std::vector<std::string> promptList;
  for (const QString& p : prompts) promptList.push_back(p.toStdString());
  const int cacheSteps = s.cacheSteps;
  QPointer<TrainController> self(this);
  LayerTableModel* layers = session_->layers();

  Task task;
  task.name = tr("Training %1").arg(QFileInfo(runDir).fileName());
  task.run = [self, layers, o, promptList, cacheSteps](TaskContext& ctx) {
    pipeline::TextToVideo& t2v = ctx.session().textToVideo();
    // 1. The trajectory cache, one shard at a time so progress can be shown and resumed.
    linvideo_method::CacheOptions c;
    c.dir = o.cache_dir;
    c.prompts = promptList;
    c.seeds = 1;
    c.max_jobs = 1;
    pipeline::GenerationSettings base = ctx.session().modelDefaults();
    if (cacheSteps > 0) base.steps = cacheSteps;
    const double jobs = static_cast<double>(promptList.size());
    auto cacheLog = [&ctx](const std::string& line) { ctx.log(QString::fromStdString(line)); };
    for (;;) {
      const linvideo_method::CacheSummary summary =
          linvideo_method::build_trajectory_cache(t2v, base, c, cacheLog, &ctx.cancelToken());
      const double fraction = std::min(1.0, static_cast<double>(summary.shards) / jobs);
      const QString message =
          QStringLiteral("Trajectory cache %1/%2").arg(summary.shards).arg(promptList.size());
      ctx.progress(fraction, message);
      ctx.postToUi(self, [self, fraction, message] {
        if (self) emit self->cacheProgress(fraction, message);
      });
      ctx.throwIfCancelled();
      if (summary.complete || summary.new_shards == 0) break;
    }
    // 2. Training; the layer states come back as they were unless the run finishes.
    linvideo_method::TransferResult result;
    {
      model::WanDiT& dit = t2v.dit();
      // The trainer leaves the DiT in its training modes (mixed, r trained); the studio's state is
      // the one before the run until a finished run's sidecar replaces it.
      const model::AttentionStateScope guard(dit);
      result = linvideo_method::run_transfer(
          t2v, o,
          [&ctx, self](const linvideo_method::TransferStep& step) {
            const TrainStepReport report = toReport(step);
            reportStep(ctx, step.step, step.total, step.eta_seconds);
            ctx.postToUi(self, [self, report] {
              if (self) emit self->stepReported(report);
            });
          },
          [&ctx](const std::string& line) { ctx.log(QString::fromStdString(line)); },
          &ctx.cancelToken());
    }
    if (!result.cancelled && !result.sidecar.empty()) {
      linvideo_method::load_sidecar(result.sidecar, t2v.dit());
    }
    const EngineLayers now = ctx.session().engine().layers();
    const QString sidecar = QString::fromStdString(result.sidecar);
    ctx.postToUi(layers, [layers, now] { layers->updateFromEngine(now); });
    ctx.postToUi(self, [self, sidecar] {
      if (self) self->sidecar_ = sidecar;
    });
    if (result.cancelled) throw TaskCancelled{};
  };
  submit(std::move(task), State::Caching, tr("Preparing the trajectory cache…"));
  return true;
}

void TrainController::taskFinished() {
  setState(State::Finished, tr("Finished: %1 installed; its layers are in the Layers view").arg(sidecar_));
  emit finished(sidecar_);
}

}  // namespace linvideo::ui
