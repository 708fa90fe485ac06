#include "ui/task_status_bar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <cmath>

#include "core/format_duration.h"
#include "ui/engine/studio_session.h"

namespace linvideo::ui {

QString formatEta(double seconds) { return QString::fromStdString(format_duration(seconds)); }

TaskStatusBar::TaskStatusBar(StudioSession* session, QWidget* parent)
    : QWidget(parent), session_(session) {
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  text_ = new QLabel(this);
  bar_ = new QProgressBar(this);
  bar_->setRange(0, 1000);
  bar_->setTextVisible(false);
  bar_->setFixedWidth(220);
  eta_ = new QLabel(this);
  cancel_ = new QPushButton(tr("Cancel"), this);
  cancel_->setShortcut(QKeySequence(Qt::Key_Escape));
  cancel_->setToolTip(tr("Cancel the running task (Esc)"));
  layout->addWidget(text_);
  layout->addWidget(bar_);
  layout->addWidget(eta_);
  layout->addWidget(cancel_);
  setVisible(false);

  connect(cancel_, &QPushButton::clicked, this, [this] {
    if (shown_ != 0) session_->cancel(shown_);
    cancel_->setEnabled(false);
  });
  connect(session_, &StudioSession::taskStarted, this, [this](TaskId id, const QString& name) {
    shown_ = id;
    name_ = name;
    text_->setText(name);
    bar_->setRange(0, 0);  // busy until the first progress report
    eta_->clear();
    cancel_->setEnabled(true);
    setVisible(true);
  });
  connect(session_, &StudioSession::taskProgress, this,
          [this](TaskId id, double fraction, const QString& message, double etaSeconds) {
            if (id != shown_) return;
            text_->setText(message.isEmpty() ? name_ : name_ + QStringLiteral(": ") + message);
            if (fraction < 0) {
              bar_->setRange(0, 0);
            } else {
              bar_->setRange(0, 1000);
              bar_->setValue(static_cast<int>(std::lround(std::min(1.0, fraction) * 1000)));
            }
            const QString eta = formatEta(etaSeconds);
            eta_->setText(eta.isEmpty() ? QString() : tr("ETA %1").arg(eta));
          });
  connect(session_, &StudioSession::taskFinished, this,
          [this](TaskId id) { ended(id, tr("%1: done").arg(name_)); });
  connect(session_, &StudioSession::taskCancelled, this,
          [this](TaskId id) { ended(id, tr("%1: cancelled").arg(name_)); });
  connect(session_, &StudioSession::taskFailed, this, [this](TaskId id, const QString& error) {
    ended(id, tr("%1 failed: %2").arg(name_, error));
  });
}

void TaskStatusBar::ended(TaskId id, const QString& text) {
  if (id != shown_) return;
  shown_ = 0;
  setVisible(false);
  emit message(text);
}

}  // namespace linvideo::ui
