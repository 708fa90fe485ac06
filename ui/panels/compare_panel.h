#pragma once
// The Compare panel: pick variants (teacher, the shipped converted model, the current layers,
// layer-mask files, distilled students), render them with one prompt and seed, play them side by side
// frame-synchronised, read their metrics table, export one labelled side-by-side MP4. The work is
// done by a CompareController; this class is only widgets.
#include <QVector>
#include <QWidget>

#include "ui/compare/compare_controller.h"

class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace linvideo::ui {
class SeedEdit;
}
class QTableView;

namespace linvideo::ui {

class StudioSession;
class VideoPlayer;

class ComparePanel : public QWidget {
  Q_OBJECT

 public:
  explicit ComparePanel(StudioSession* session, QWidget* parent = nullptr);

  CompareController* controller() { return controller_; }
  VideoPlayer* player() { return player_; }
  QVector<CompareVariant> checkedVariants() const;

 public slots:
  void runComparison();
  void addMaskFile(const QString& path);
  // A distilled student, checked; false (the reason in the status line) for another file.
  bool addStudentFile(const QString& path);
  void exportComparison();

 private:
  void fillVariants(const ModelInfo& info);
  void setBusy(bool busy);

  StudioSession* session_;
  CompareController* controller_;
  QLineEdit* prompt_;
  SeedEdit* seed_;
  QSpinBox* steps_;
  QListWidget* variants_;
  QVector<CompareVariant> variantList_;  // parallel to variants_'s rows
  QPushButton* run_;
  QPushButton* cancel_;
  QPushButton* export_;
  QProgressBar* progress_;
  QLabel* status_;
  VideoPlayer* player_;
  QTableView* table_;
};

}  // namespace linvideo::ui
