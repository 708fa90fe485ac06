#pragma once
// The Jobs dock: the engine's queue (JobListModel) as a table, the selected job's log below it,
// and Cancel / Clear finished.
#include <QWidget>

class QPlainTextEdit;
class QPushButton;
class QTableView;

namespace linvideo::ui {

class JobListModel;
class StudioSession;

class JobListView : public QWidget {
  Q_OBJECT

 public:
  explicit JobListView(StudioSession* session, QWidget* parent = nullptr);
  JobListModel* model() const { return model_; }
  QTableView* table() const { return table_; }
  QPlainTextEdit* logView() const { return log_; }
  QPushButton* cancelButton() const { return cancel_; }

 private:
  int selectedRow() const;
  void showSelected();

  JobListModel* model_;
  QTableView* table_;
  QPlainTextEdit* log_;
  QPushButton* cancel_;
  QPushButton* clear_;
};

}  // namespace linvideo::ui
