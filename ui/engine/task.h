#pragma once
// Background work for the studio: a Task is a named function that runs on the session's single
// engine thread; a TaskContext is what that function gets to report progress, log, and see a
// cancel request. Tasks run one at a time, in the order they were submitted (like llama.cpp's
// task queue or Kdenlive's job manager), because the engine is not thread-safe.
#include <QObject>
#include <QString>
#include <functional>
#include <memory>

namespace linvideo::pipeline {
struct CancelToken;
}

namespace linvideo::ui {

class StudioSession;
class TaskContext;

using TaskId = quint64;

struct Task {
  QString name;                           // shown in the status bar: "Loading model", "Generating"
  std::function<void(TaskContext&)> run;  // runs on the engine thread
};

// Thrown by TaskContext::throwIfCancelled(); the session reports the task as cancelled.
struct TaskCancelled {};

// Handed to Task::run on the engine thread. Everything here is safe to call from there.
class TaskContext {
 public:
  TaskContext(StudioSession& session, TaskId id, std::shared_ptr<pipeline::CancelToken> token);

  TaskId id() const { return id_; }
  // The session, for its engine accessors (textToVideo(), modelFolder(), ...): engine thread only.
  StudioSession& session() { return session_; }

  // fraction in [0, 1] (negative: unknown, a busy indicator); etaSeconds < 0: unknown.
  // Delivered to the UI thread by queued calls, in the order they were made.
  void progress(double fraction, const QString& message = {}, double etaSeconds = -1);
  void log(const QString& line);
  // Runs `fn` on the UI thread, with `receiver` as its context: dropped if `receiver` is gone by
  // then. The way to hand results (a preview image, a metrics row) to a widget.
  void postToUi(QObject* receiver, std::function<void()> fn);

  // Pass to pipeline::Callbacks::cancel and other engine calls that take a token.
  const pipeline::CancelToken& cancelToken() const { return *token_; }
  bool cancelled() const;
  void throwIfCancelled() const;

 private:
  StudioSession& session_;
  TaskId id_;
  std::shared_ptr<pipeline::CancelToken> token_;
};

// The UI-thread view of one submitted task. Owned by the session and deleted (deleteLater) after
// its last signal; keep it in a QPointer, or use the session's signals keyed by id.
class TaskHandle : public QObject {
  Q_OBJECT

 public:
  TaskHandle(TaskId id, QString name, QObject* parent);

  TaskId id() const { return id_; }
  const QString& name() const { return name_; }
  bool isDone() const { return done_; }

 signals:
  void started();
  void progress(double fraction, const QString& message, double etaSeconds);
  void logLine(const QString& line);
  void finished();
  void failed(const QString& message);
  void cancelled();

 private:
  friend class StudioSession;
  TaskId id_;
  QString name_;
  bool done_ = false;
};

}  // namespace linvideo::ui
