#pragma once
// The engine's queue as an item model (issue 19): every task the session was given, queued,
// running or ended, with its progress, time left and log, newest last; cancel by row. As
// Shotcut's job list. Bounded: the oldest ended jobs go first past kMaxEnded, and a job keeps its
// last kMaxLogLines log lines.
#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <QString>
#include <QStringList>
#include <QVector>
#include <functional>

#include "ui/engine/task.h"

namespace linvideo::ui {

class StudioSession;

class JobListModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { NameColumn, StateColumn, ProgressColumn, TimeColumn, ColumnCount };
  enum class State { Queued, Running, Finished, Failed, Cancelled };
  static constexpr int kMaxEnded = 100;
  static constexpr int kMaxLogLines = 1000;

  struct Job {
    TaskId id = 0;
    QString name;
    State state = State::Queued;
    double fraction = -1;  // < 0: unknown
    QString message;       // the last progress message, or the failure
    double etaSeconds = -1;
    double elapsedSeconds = -1;  // when ended
    QStringList log;
    QElapsedTimer clock;  // from the start
  };

  explicit JobListModel(StudioSession* session, QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  const Job& job(int row) const { return jobs_[row]; }
  int rowOf(TaskId id) const;  // -1 when unknown (or dropped)
  // Asks the session to cancel a queued or running job; false for an ended one or a bad row.
  bool cancel(int row);
  // Removes every ended job.
  void clearEnded();
  static QString stateName(State state);

 signals:
  void logAppended(int row, const QString& line);

 private:
  void update(TaskId id, const std::function<void(Job&)>& change);
  void end(TaskId id, State state, const QString& message);
  void trimEnded();

  StudioSession* session_;
  QVector<Job> jobs_;
};

}  // namespace linvideo::ui
