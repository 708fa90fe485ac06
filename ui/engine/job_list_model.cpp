#include "ui/engine/job_list_model.h"

#include "core/format_duration.h"
#include "ui/engine/studio_session.h"

namespace linvideo::ui {

JobListModel::JobListModel(StudioSession* session, QObject* parent) : QAbstractTableModel(parent), session_(session) {
  connect(session_, &StudioSession::taskQueued, this, [this](TaskId id, const QString& name) {
    trimEnded();
    beginInsertRows({}, static_cast<int>(jobs_.size()), static_cast<int>(jobs_.size()));
    Job job;
    job.id = id;
    job.name = name;
    jobs_.push_back(job);
    endInsertRows();
  });
  connect(session_, &StudioSession::taskStarted, this, [this](TaskId id, const QString&) {
    update(id, [](Job& j) {
      j.state = State::Running;
      j.clock.start();
    });
  });
  connect(session_, &StudioSession::taskProgress, this,
          [this](TaskId id, double fraction, const QString& message, double eta) {
            update(id, [&](Job& j) {
              j.fraction = fraction;
              if (!message.isEmpty()) j.message = message;
              j.etaSeconds = eta;
            });
          });
  connect(session_, &StudioSession::taskLog, this, [this](TaskId id, const QString& line) {
    const int row = rowOf(id);
    if (row < 0) return;
    QStringList& log = jobs_[row].log;
    log << line;
    if (log.size() > kMaxLogLines) log.erase(log.begin(), log.begin() + (log.size() - kMaxLogLines));
    emit logAppended(row, line);
  });
  connect(session_, &StudioSession::taskFinished, this, [this](TaskId id) { end(id, State::Finished, {}); });
  connect(session_, &StudioSession::taskFailed, this,
          [this](TaskId id, const QString& message) { end(id, State::Failed, message); });
  connect(session_, &StudioSession::taskCancelled, this, [this](TaskId id) { end(id, State::Cancelled, {}); });
}

int JobListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(jobs_.size()); }
int JobListModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QString JobListModel::stateName(State state) {
  switch (state) {
    case State::Queued: return tr("Queued");
    case State::Running: return tr("Running");
    case State::Finished: return tr("Finished");
    case State::Failed: return tr("Failed");
    case State::Cancelled: return tr("Cancelled");
  }
  return {};
}

QVariant JobListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= jobs_.size()) return {};
  const Job& j = jobs_[index.row()];
  if (role == Qt::ToolTipRole) return j.message;
  if (role == Qt::UserRole) return static_cast<int>(j.state);
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case NameColumn: return j.name;
    case StateColumn: return j.state == State::Failed ? tr("Failed: %1").arg(j.message) : stateName(j.state);
    case ProgressColumn:
      if (j.state == State::Finished) return QStringLiteral("100%");
      if (j.state != State::Running) return QString();
      return j.fraction < 0 ? QStringLiteral("…") : QStringLiteral("%1%").arg(qRound(j.fraction * 100));
    case TimeColumn:
      if (j.state == State::Running)
        return j.etaSeconds >= 0 ? tr("%1 left").arg(QString::fromStdString(format_duration(j.etaSeconds)))
                                 : QString::fromStdString(format_duration(j.clock.elapsed() / 1000.0));
      if (j.elapsedSeconds >= 0) return QString::fromStdString(format_duration(j.elapsedSeconds));
      return QString();
    default: return {};
  }
}

QVariant JobListModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case NameColumn: return tr("Job");
    case StateColumn: return tr("State");
    case ProgressColumn: return tr("Progress");
    case TimeColumn: return tr("Time");
    default: return {};
  }
}

int JobListModel::rowOf(TaskId id) const {
  for (int i = 0; i < jobs_.size(); ++i)
    if (jobs_[i].id == id) return i;
  return -1;
}

bool JobListModel::cancel(int row) {
  if (row < 0 || row >= jobs_.size()) return false;
  const Job& j = jobs_[row];
  if (j.state != State::Queued && j.state != State::Running) return false;
  session_->cancel(j.id);
  return true;
}

void JobListModel::clearEnded() {
  for (int i = int(jobs_.size()) - 1; i >= 0; --i) {
    if (jobs_[i].state == State::Queued || jobs_[i].state == State::Running) continue;
    beginRemoveRows({}, i, i);
    jobs_.remove(i);
    endRemoveRows();
  }
}

void JobListModel::update(TaskId id, const std::function<void(Job&)>& change) {
  const int row = rowOf(id);
  if (row < 0) return;
  change(jobs_[row]);
  emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void JobListModel::end(TaskId id, State state, const QString& message) {
  update(id, [&](Job& j) {
    j.state = state;
    if (!message.isEmpty()) j.message = message;
    j.elapsedSeconds = j.clock.isValid() ? j.clock.elapsed() / 1000.0 : 0.0;
    if (state == State::Finished) j.fraction = 1;
  });
  trimEnded();
}

void JobListModel::trimEnded() {
  int ended = 0;
  for (const Job& j : jobs_) ended += j.state != State::Queued && j.state != State::Running;
  for (int i = 0; i < jobs_.size() && ended > kMaxEnded;) {
    if (jobs_[i].state == State::Queued || jobs_[i].state == State::Running) {
      ++i;
      continue;
    }
    beginRemoveRows({}, i, i);
    jobs_.remove(i);
    endRemoveRows();
    --ended;
  }
}

}  // namespace linvideo::ui
