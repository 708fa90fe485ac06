#pragma once
// The studio's one connection to the engine. It owns the loaded model and a single worker thread
// on which every engine call runs, in submission order; widgets talk to it only through tasks and
// queued signals (the OBS / llama.cpp model: one thread owns the compute context).
//
// Threads: construct, submit, cancel and read modelInfo() on the UI thread; every signal is
// emitted on the UI thread. The engine accessors (textToVideo(), ...) work only on the engine
// thread, i.e. inside a Task's run function; elsewhere they throw.
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ui/engine/model_info.h"
#include "ui/engine/task.h"

class QThread;

namespace linvideo::engine {
class Engine;
}
namespace linvideo::pipeline {
class TextToVideo;
struct GenerationSettings;
struct RuntimePolicy;
}  // namespace linvideo::pipeline

namespace linvideo::ui {

struct EngineState;  // the loaded engine objects (studio_session.cpp)
class LayerTableModel;

struct DeviceChoice {
  QString id;     // what loadModel() takes: "cpu", "cuda:0", ...
  QString label;  // "CPU (2 threads)", "cuda:0 - NVIDIA H200"
};

class StudioSession : public QObject {
  Q_OBJECT

 public:
  explicit StudioSession(QObject* parent = nullptr);
  ~StudioSession() override;  // cancels every task and joins the engine thread

  // ---- UI thread ------------------------------------------------------------------------------
  TaskHandle* submit(Task task);
  // Loads a model folder; device "auto" | "cpu" | "cuda" | "cuda:N", dtype "auto" | "fp32" |
  // "bf16" (pipeline::RuntimePolicy::make). Ends in modelLoaded or modelLoadFailed.
  TaskHandle* loadModel(const QString& path, const QString& device = QStringLiteral("auto"),
                        const QString& dtype = QStringLiteral("auto"));
  void cancel(TaskId id);  // no-op for unknown or finished ids
  void cancelAll();

  const ModelInfo& modelInfo() const { return modelInfo_; }  // invalid until a model is loaded
  // The layer modes of the loaded model (with its sidecar applied), as the engine confirmed them;
  // every panel shares this one (current mask: layers()->linearLayers(), signal layersChanged()).
  LayerTableModel* layers() const { return layers_; }
  const std::vector<DeviceChoice>& availableDevices() const { return devices_; }
  TaskId currentTask() const { return currentTask_; }                    // 0 when idle
  int pendingTasks() const { return static_cast<int>(tokens_.size()); }  // queued + running

  // Tests only: submits and spins an event loop until the task ends or `timeoutMs` passes.
  // Returns true when it finished; `error` gets the failure message (or "cancelled"/"timeout").
  bool runAndWait(std::function<void(TaskContext&)> run, QString* error = nullptr,
                  int timeoutMs = 120000);

  // ---- engine thread only (inside Task::run) ---------------------------------------------------
  bool hasModel() const;
  engine::Engine& engine();  // the engine's front door (core/engine); the accessors below read it
  pipeline::TextToVideo& textToVideo();                       // throws Error when none is loaded
  const pipeline::GenerationSettings& modelDefaults() const;  // model_index.json "defaults"
  const pipeline::RuntimePolicy& runtimePolicy() const;
  const std::string& modelFolder() const;
  const std::string& sidecarPath() const;  // the folder's LinVideo sidecar; empty if none
  bool isEngineThread() const;

 signals:
  void taskQueued(linvideo::ui::TaskId id, const QString& name);  // from submit(), before it runs
  void taskStarted(linvideo::ui::TaskId id, const QString& name);
  void taskProgress(linvideo::ui::TaskId id, double fraction, const QString& message,
                    double etaSeconds);
  void taskLog(linvideo::ui::TaskId id, const QString& line);
  void taskFinished(linvideo::ui::TaskId id);
  void taskFailed(linvideo::ui::TaskId id, const QString& message);
  void taskCancelled(linvideo::ui::TaskId id);
  void modelLoadStarted(const QString& path);
  void modelLoaded(const linvideo::ui::ModelInfo& info);
  void modelLoadFailed(const QString& message);
  void devicesChanged();

 private:
  friend class TaskContext;
  enum class Outcome { Finished, Failed, Cancelled };
  void execute(TaskId id, const std::shared_ptr<pipeline::CancelToken>& token, const Task& task);
  void postStarted(TaskId id, const QString& name);
  void postProgress(TaskId id, double fraction, const QString& message, double etaSeconds);
  void postLog(TaskId id, const QString& line);
  void postEnded(TaskId id, Outcome outcome, const QString& message);
  void requireEngineThread(const char* what) const;

  QThread* thread_ = nullptr;
  QObject* worker_ = nullptr;  // lives on thread_; queued functors to it run there, in order
  std::unique_ptr<EngineState> engine_;  // touched on thread_ only

  // UI thread state.
  TaskId nextId_ = 1;
  TaskId currentTask_ = 0;
  QHash<TaskId, std::shared_ptr<pipeline::CancelToken>> tokens_;
  QHash<TaskId, QPointer<TaskHandle>> handles_;
  ModelInfo modelInfo_;
  LayerTableModel* layers_ = nullptr;
  std::vector<DeviceChoice> devices_;
};

}  // namespace linvideo::ui
