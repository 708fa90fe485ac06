#include "ui/engine/studio_session.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QThread>
#include <QTimer>
#include <exception>
#include <filesystem>
#include <utility>

#include "core/engine/engine.h"
#include "core/error.h"
#include "core/pipeline/model_loader.h"
#include "core/pipeline/runtime_policy.h"
#include "core/pipeline/text_to_video.h"
#include "core/version.h"
#include "core/engine/layers.h"
#include "ui/layers/layer_table_model.h"

namespace linvideo::ui {

struct EngineState {
  engine::Engine engine;
};

namespace {

// c10::Error's what() carries a backtrace; users get its first line.
QString firstLine(const char* what) {
  const QString text = QString::fromUtf8(what);
  const qsizetype end = text.indexOf('\n');
  return (end < 0 ? text : text.left(end)).trimmed();
}

ModelInfo describe(engine::Engine& engine) {
  const pipeline::ModelSources& sources = engine.sources();
  const pipeline::RuntimePolicy& policy = engine.policy();
  const pipeline::GenerationSettings& defaults = engine.defaults();
  const engine::ModelFacts facts = engine.facts();
  ModelInfo info;
  info.folder = QString::fromStdString(engine.folder());
  info.layout = QString::fromStdString(sources.layout);
  info.family = QString::fromStdString(facts.family);
  info.dim = facts.dim;
  info.ffnDim = facts.ffn_dim;
  info.numLayers = facts.num_layers;
  info.numHeads = facts.num_heads;
  info.headDim = facts.head_dim;
  info.textDim = facts.text_dim;
  info.textLen = facts.text_len;
  info.parameterCount = facts.parameters;
  info.weightBytes = facts.weight_bytes;
  info.precision = QString::fromStdString(facts.dit_dtype);
  info.device = QString::fromStdString(policy.device.str());
  info.deviceName =
      QString::fromStdString(device_name(policy.device.is_cuda() ? "cuda" : "cpu"));
  info.policy = QString::fromStdString(policy.describe());
  info.textEncoder = sources.text_encoder.empty()
                         ? QStringLiteral("none (hashed random embeddings)")
                         : QString::fromStdString(sources.text_encoder);
  info.sidecarPath = QString::fromStdString(engine.sidecar());
  info.defaults = GenerateRequest::fromSettings(defaults);
  return info;
}

}  // namespace

StudioSession::StudioSession(QObject* parent)
    : QObject(parent),
      thread_(new QThread(this)),
      worker_(new QObject),
      engine_(std::make_unique<EngineState>()) {
  qRegisterMetaType<TaskId>("linvideo::ui::TaskId");
  qRegisterMetaType<ModelInfo>();
  thread_->setObjectName(QStringLiteral("linvideo-engine"));
  worker_->moveToThread(thread_);
  connect(thread_, &QThread::finished, worker_, &QObject::deleteLater);
  thread_->start();
  layers_ = new LayerTableModel(this, this);
  devices_.push_back({QStringLiteral("cpu"), QStringLiteral("CPU")});
  // Asking LibTorch about GPUs may initialise CUDA (seconds): do it on the engine thread.
  QMetaObject::invokeMethod(
      worker_,
      [this] {
        std::vector<DeviceChoice> found;
        for (const auto& d : pipeline::available_devices()) {
          found.push_back({QString::fromStdString(d.id), QString::fromStdString(d.label)});
        }
        QMetaObject::invokeMethod(
            this,
            [this, found] {
              devices_ = found;
              emit devicesChanged();
            },
            Qt::QueuedConnection);
      },
      Qt::QueuedConnection);
}

StudioSession::~StudioSession() {
  cancelAll();
  thread_->quit();
  thread_->wait();
  engine_.reset();  // the engine thread has ended, so no one else can touch it now
}

TaskHandle* StudioSession::submit(Task task) {
  const TaskId id = nextId_++;
  auto token = std::make_shared<pipeline::CancelToken>();
  auto* handle = new TaskHandle(id, task.name, this);
  tokens_.insert(id, token);
  handles_.insert(id, handle);
  emit taskQueued(id, task.name);
  QMetaObject::invokeMethod(
      worker_, [this, id, token, task = std::move(task)] { execute(id, token, task); },
      Qt::QueuedConnection);
  return handle;
}

void StudioSession::cancel(TaskId id) {
  if (const auto it = tokens_.find(id); it != tokens_.end()) (*it)->cancel();
}

void StudioSession::cancelAll() {
  for (const auto& token : std::as_const(tokens_)) token->cancel();
}

void StudioSession::execute(TaskId id, const std::shared_ptr<pipeline::CancelToken>& token,
                            const Task& task) {
  if (token->cancelled()) {  // cancelled while queued
    postEnded(id, Outcome::Cancelled, {});
    return;
  }
  postStarted(id, task.name);
  TaskContext context(*this, id, token);
  try {
    if (task.run) task.run(context);
    postEnded(id, token->cancelled() ? Outcome::Cancelled : Outcome::Finished, {});
  } catch (const TaskCancelled&) {
    postEnded(id, Outcome::Cancelled, {});
  } catch (const std::exception& e) {
    postEnded(id, Outcome::Failed, firstLine(e.what()));
  } catch (...) {
    postEnded(id, Outcome::Failed, task.name + QStringLiteral(": unknown error"));
  }
}

void StudioSession::postStarted(TaskId id, const QString& name) {
  QMetaObject::invokeMethod(
      this,
      [this, id, name] {
        currentTask_ = id;
        if (TaskHandle* h = handles_.value(id)) emit h->started();
        emit taskStarted(id, name);
      },
      Qt::QueuedConnection);
}

void StudioSession::postProgress(TaskId id, double fraction, const QString& message,
                                 double etaSeconds) {
  QMetaObject::invokeMethod(
      this,
      [this, id, fraction, message, etaSeconds] {
        if (TaskHandle* h = handles_.value(id)) emit h->progress(fraction, message, etaSeconds);
        emit taskProgress(id, fraction, message, etaSeconds);
      },
      Qt::QueuedConnection);
}

void StudioSession::postLog(TaskId id, const QString& line) {
  QMetaObject::invokeMethod(
      this,
      [this, id, line] {
        if (TaskHandle* h = handles_.value(id)) emit h->logLine(line);
        emit taskLog(id, line);
      },
      Qt::QueuedConnection);
}

void StudioSession::postEnded(TaskId id, Outcome outcome, const QString& message) {
  QMetaObject::invokeMethod(
      this,
      [this, id, outcome, message] {
        tokens_.remove(id);
        if (currentTask_ == id) currentTask_ = 0;
        TaskHandle* h = handles_.take(id);
        if (h) h->done_ = true;
        switch (outcome) {
          case Outcome::Finished:
            if (h) emit h->finished();
            emit taskFinished(id);
            break;
          case Outcome::Failed:
            if (h) emit h->failed(message);
            emit taskFailed(id, message);
            break;
          case Outcome::Cancelled:
            if (h) emit h->cancelled();
            emit taskCancelled(id);
            break;
        }
        if (h) h->deleteLater();
      },
      Qt::QueuedConnection);
}

TaskHandle* StudioSession::loadModel(const QString& path, const QString& device,
                                     const QString& dtype) {
  emit modelLoadStarted(path);
  Task task;
  task.name = QStringLiteral("Loading %1").arg(QDir(path).dirName());
  task.run = [this, path, device, dtype](TaskContext& ctx) {
    try {
      ctx.progress(-1, QStringLiteral("Reading %1").arg(path));
      engine::LoadRequest request;
      request.folder = path.toStdString();
      request.device = device.toStdString();
      request.dtype = dtype.toStdString();
      pipeline::Callbacks cb;
      cb.on_log = [&ctx](const std::string& line) { ctx.log(QString::fromStdString(line)); };
      // The shipped conversion (maps, learned r, layer modes) becomes the current state: the same
      // call as the CLI's, and a sidecar that does not fit leaves the model untouched.
      engine_->engine.load(request, cb);
      const engine::LayerTable layers = engine_->engine.layers();
      const ModelInfo info = describe(engine_->engine);
      const QString sidecarNote = info.sidecarPath.isEmpty()
                                      ? QString()
                                      : QStringLiteral("; LinVideo sidecar %1").arg(info.sidecarPath);
      ctx.log(QStringLiteral("Loaded %1: %2%3").arg(path, info.policy, sidecarNote));
      QMetaObject::invokeMethod(
          this,
          [this, info, layers] {
            modelInfo_ = info;
            layers_->resetFromEngine(layers);
            emit modelLoaded(info);
          },
          Qt::QueuedConnection);
    } catch (const std::exception& e) {
      const bool dropped = !engine_->engine.loaded();
      const QString message = firstLine(e.what());
      QMetaObject::invokeMethod(
          this,
          [this, message, dropped] {
            if (dropped) {
              modelInfo_ = ModelInfo{};
              layers_->resetFromEngine({});
            }
            emit modelLoadFailed(message);
          },
          Qt::QueuedConnection);
      throw;
    }
  };
  return submit(std::move(task));
}

bool StudioSession::runAndWait(std::function<void(TaskContext&)> run, QString* error,
                               int timeoutMs) {
  QEventLoop loop;
  bool ok = false;
  QString message = QStringLiteral("timeout");
  TaskHandle* handle = submit({QStringLiteral("test task"), std::move(run)});
  connect(handle, &TaskHandle::finished, &loop, [&] {
    ok = true;
    message.clear();
    loop.quit();
  });
  connect(handle, &TaskHandle::failed, &loop, [&](const QString& m) {
    message = m;
    loop.quit();
  });
  connect(handle, &TaskHandle::cancelled, &loop, [&] {
    message = QStringLiteral("cancelled");
    loop.quit();
  });
  QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
  loop.exec();
  if (error) *error = message;
  return ok;
}

bool StudioSession::isEngineThread() const { return QThread::currentThread() == thread_; }

void StudioSession::requireEngineThread(const char* what) const {
  if (!isEngineThread()) {
    throw Error(std::string("StudioSession::") + what +
                " called outside the engine thread (use submit())");
  }
}

bool StudioSession::hasModel() const {
  requireEngineThread("hasModel");
  return engine_->engine.loaded();
}

engine::Engine& StudioSession::engine() {
  requireEngineThread("engine");
  return engine_->engine;
}

pipeline::TextToVideo& StudioSession::textToVideo() {
  requireEngineThread("textToVideo");
  return engine_->engine.text_to_video();
}

const pipeline::GenerationSettings& StudioSession::modelDefaults() const {
  requireEngineThread("modelDefaults");
  return engine_->engine.defaults();
}

const pipeline::RuntimePolicy& StudioSession::runtimePolicy() const {
  requireEngineThread("runtimePolicy");
  return engine_->engine.policy();
}

const std::string& StudioSession::modelFolder() const {
  requireEngineThread("modelFolder");
  return engine_->engine.folder();
}

const std::string& StudioSession::sidecarPath() const {
  requireEngineThread("sidecarPath");
  return engine_->engine.sidecar();
}

}  // namespace linvideo::ui
