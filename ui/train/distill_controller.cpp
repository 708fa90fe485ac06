#include "ui/train/distill_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/engine/engine.h"
#include "ui/engine/studio_session.h"
#include "ui/train/prompts_file.h"

namespace linvideo::ui {
namespace {

const QString kLastRunKey = QStringLiteral("distill/lastRun");
const QString kSettingsFile = QStringLiteral("studio-distill.json");
const QString kStudentFile = QStringLiteral("student.safetensors");

DistillStepReport toReport(const method::DistillStep& s) {
  DistillStepReport r;
  r.step = s.step;
  r.total = s.total;
  r.losses = {{QStringLiteral("dm_loss"), s.dm_loss},
              {QStringLiteral("critic_loss"), s.critic_loss},
              {QStringLiteral("gap"), s.gap}};
  r.studentStep = s.student_step;
  r.etaSeconds = s.eta_seconds;
  return r;
}

}  // namespace

QVector<double> DistillSettings::evenTimesteps(int steps) {
  QVector<double> t;
  for (int i = 0; i < steps; ++i) t << 1000.0 - 1000.0 * i / steps;
  return t;
}

QString DistillSettings::toJson() const {
  QJsonArray timesteps;
  for (double t : studentTimesteps) timesteps.append(t);
  QJsonObject o{{"sidecar", sidecar},
                {"steps", steps},
                {"student_timesteps", timesteps},
                {"critic_updates", criticUpdates},
                {"lr_generator", lrGenerator},
                {"lr_critic", lrCritic},
                {"prompts_file", promptsFile},
                {"max_prompts", maxPrompts},
                {"checkpoint_every", checkpointEvery},
                {"frames", frames},
                {"height", height},
                {"width", width},
                {"seed", QString::number(seed)},  // JSON numbers lose 64-bit integers
                {"run_dir", runDir}};
  return QString::fromUtf8(QJsonDocument(o).toJson());
}

DistillSettings DistillSettings::fromJson(const QString& json, QString* error, const QString& label) {
  // The engine's typed readers (core/json_fields.h): a wrong type or range names the file and field.
  const std::string where = label.toStdString();
  DistillSettings s;
  try {
    const nlohmann::json j = parse_json_object(json.toStdString(), where);
    auto text = [&](const char* key) { return QString::fromStdString(read_json_string(j, key, "", where)); };
    s.sidecar = text("sidecar");
    s.steps = int(read_json_int(j, "steps", 1, 10000000, s.steps, where));
    if (const auto t = j.find("student_timesteps"); t != j.end() && !t->is_null()) {
      if (!t->is_array() || t->size() > 1000) throw Error(where + ": field 'student_timesteps' must be a list of at most 1000 numbers");
      s.studentTimesteps.clear();
      for (const auto& v : *t) {
        if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() <= 1000))
          throw Error(where + ": field 'student_timesteps' entries must be numbers from 0 to 1000 (got " + v.dump() + ")");
        s.studentTimesteps << v.get<double>();
      }
    }
    s.criticUpdates = int(read_json_int(j, "critic_updates", 1, 1000, s.criticUpdates, where));
    s.lrGenerator = read_json_number(j, "lr_generator", 0, 10, s.lrGenerator, where);
    s.lrCritic = read_json_number(j, "lr_critic", 0, 10, s.lrCritic, where);
    s.promptsFile = text("prompts_file");
    s.maxPrompts = int(read_json_int(j, "max_prompts", 0, 1000000, s.maxPrompts, where));
    s.checkpointEvery = int(read_json_int(j, "checkpoint_every", 0, 10000000, s.checkpointEvery, where));
    s.frames = read_json_int(j, "frames", 0, 100000, s.frames, where);
    s.height = read_json_int(j, "height", 0, 65536, s.height, where);
    s.width = read_json_int(j, "width", 0, 65536, s.width, where);
    // The seed travels as text (JSON numbers lose 64-bit integers): digits only.
    const QString seed = QString::fromStdString(read_json_string(j, "seed", "0", where));
    bool seed_ok = false;
    s.seed = seed.toULongLong(&seed_ok);
    if (!seed_ok)
      throw Error(where + ": field 'seed' must be a decimal integer from 0 to 2^64 - 1 (got \"" + seed.left(80).toStdString() + "\")");
    s.runDir = text("run_dir");
  } catch (const Error& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return DistillSettings{};
  }
  if (error) error->clear();
  return s;
}

DistillController::DistillController(StudioSession* session, bool persist, QObject* parent)
    : RunController(session, persist, kLastRunKey, kSettingsFile, kStudentFile, parent) {
  qRegisterMetaType<DistillStepReport>();
}

QString DistillController::studentPath(const QString& runDir) {
  return QDir(runDir).filePath(kStudentFile);
}

bool DistillController::start(const DistillSettings& settings) {
  if (isActive()) return false;
  DistillSettings s = settings;
  if (s.sidecar.isEmpty()) s.sidecar = session_->modelInfo().sidecarPath;
  if (s.sidecar.isEmpty()) {
    return refuse(
        tr("no LinVideo sidecar to start from: train one (LinVideo transfer) or pick a file"));
  }
  if (!QFileInfo(s.sidecar).isFile())
    return refuse(tr("%1: no such LinVideo sidecar").arg(s.sidecar));
  // The run's identity (config.json) holds the path: keep it as it will be read on resume.
  s.sidecar = QFileInfo(s.sidecar).absoluteFilePath();
  if (s.runDir.isEmpty()) s.runDir = defaultRunDir();
  if (s.promptsFile.isEmpty()) s.promptsFile = defaultPromptsFile();
  if (checkpointStep(s.runDir) > 0) {
    return refuse(tr("%1 already holds a run; resume it or choose a new run folder").arg(s.runDir));
  }
  return launch(s, s.runDir);
}

bool DistillController::resumeRun(const QString& runDir) {
  if (runDir.isEmpty() || isActive()) return false;
  const QString json = readRunSettings(runDir);
  if (json.isEmpty())
    return refuse(tr("%1: no studio distillation settings (%2) to resume").arg(runDir, kSettingsFile));
  QString error;
  DistillSettings s = DistillSettings::fromJson(json, &error, QDir(runDir).filePath(kSettingsFile));
  if (!error.isEmpty()) return refuse(error);
  s.runDir = runDir;
  return launch(s, runDir);
}

void DistillController::replayMetrics(const QString& runDir) {
  forEachCheckpointedStep(runDir, [this](qint64 step, const QJsonObject& o) {
    DistillStepReport r;
    r.step = step;
    r.total = settings_.steps;
    for (const char* name : {"dm_loss", "critic_loss", "gap"}) {
      r.losses.insert(QString::fromLatin1(name), o.value(QLatin1String(name)).toDouble());
    }
    r.studentStep = o.value("student_step").toInt();
    emit stepReported(r);
  });
}

bool DistillController::launch(const DistillSettings& s, const QString& runDir) {
  if (isActive()) return false;
  if (!session_->modelInfo().isValid())
    return refuse(tr("no model is loaded (open a model folder first)"));
  QString error;
  QStringList prompts = readPromptsFile(s.promptsFile, &error);
  if (prompts.isEmpty()) return refuse(error);
  if (s.maxPrompts > 0 && prompts.size() > s.maxPrompts) prompts = prompts.mid(0, s.maxPrompts);
  if (!beginRun(runDir, s.toJson(), &error)) return refuse(error);
  settings_ = s;
  student_.clear();
  emit runStarted(runDir, s.steps);
  replayMetrics(runDir);

  engine::DistillRequest request;
  method::DistillOptions& o = request.options;
  o.run_dir = runDir.toStdString();
  o.sidecar = s.sidecar.toStdString();
  for (const QString& p : std::as_const(prompts)) o.prompts.push_back(p.toStdString());
  o.steps = s.steps;
  o.student_timesteps.assign(s.studentTimesteps.begin(), s.studentTimesteps.end());
  o.critic_updates = s.criticUpdates;
  o.lr_generator = s.lrGenerator;
  o.lr_critic = s.lrCritic;
  o.checkpoint_every = std::max(1, s.checkpointEvery);
  o.seed = s.seed;
  request.frames = s.frames, request.height = s.height, request.width = s.width;
  request.resume = true;  // start() has refused a folder that holds a run; resumeRun() continues one
  QPointer<DistillController> self(this);
  Task task;
  task.name = tr("Distilling %1").arg(QFileInfo(runDir).fileName());
  task.run = [self, request](TaskContext& ctx) {
    ctx.progress(-1, QStringLiteral("Preparing the teacher, the student and the critic"));
    engine::TrainCallbacks cb;
    cb.cancel = &ctx.cancelToken();
    cb.on_log = [&ctx](const std::string& line) { ctx.log(QString::fromStdString(line)); };
    cb.on_distill_step = [&ctx, self](const method::DistillStep& step) {
      const DistillStepReport report = toReport(step);
      reportStep(ctx, step.step, step.total, step.eta_seconds);
      ctx.postToUi(self, [self, report] {
        if (self) emit self->stepReported(report);
      });
    };
    const method::DistillResult result = ctx.session().engine().distill(request, cb);
    const QString student = QString::fromStdString(result.student);
    ctx.postToUi(self, [self, student] {
      if (self) self->student_ = student;
    });
    if (result.cancelled) throw TaskCancelled{};
  };
  submit(std::move(task), State::Training,
         tr("Starting: encoding the prompts, copying the student and the critic…"));
  return true;
}

void DistillController::taskFinished() {
  forgetRun();
  setState(State::Finished, tr("Finished: the %1-step student is %2; Compare or Generate with it")
                                .arg(settings_.studentTimesteps.size())
                                .arg(student_));
  emit finished(student_);
}

}  // namespace linvideo::ui
