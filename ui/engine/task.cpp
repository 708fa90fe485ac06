#include "ui/engine/task.h"

#include <utility>

#include "core/pipeline/text_to_video.h"
#include "ui/engine/studio_session.h"

namespace linvideo::ui {

TaskContext::TaskContext(StudioSession& session, TaskId id,
                         std::shared_ptr<pipeline::CancelToken> token)
    : session_(session), id_(id), token_(std::move(token)) {}

void TaskContext::progress(double fraction, const QString& message, double etaSeconds) {
  session_.postProgress(id_, fraction, message, etaSeconds);
}

void TaskContext::log(const QString& line) { session_.postLog(id_, line); }

void TaskContext::postToUi(QObject* receiver, std::function<void()> fn) {
  QMetaObject::invokeMethod(receiver, std::move(fn), Qt::QueuedConnection);
}

bool TaskContext::cancelled() const { return token_->cancelled(); }

void TaskContext::throwIfCancelled() const {
  if (token_->cancelled()) throw TaskCancelled{};
}

TaskHandle::TaskHandle(TaskId id, QString name, QObject* parent)
    : QObject(parent), id_(id), name_(std::move(name)) {}

}  // namespace linvideo::ui
