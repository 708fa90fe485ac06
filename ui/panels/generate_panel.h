#pragma once
// The Generate panel: the settings form (defaults from the loaded model's folder), Generate
// (Ctrl+Return) and Cancel (Esc), a progress bar with ETA, the per-step preview and the result in
// a VideoPlayer, and the gallery of clips (reveal the file, re-use its settings). The work is done
// by a GenerateController; this class is only widgets. A distilled student (Train > Distill) can
// be picked: it then replaces the model for generation, on its own schedule.
#include <QWidget>

#include "ui/generate/generate_request.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListView;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace linvideo::ui {
class SeedEdit;
}

namespace linvideo::ui {

class GalleryModel;
class GenerateController;
class StudioSession;
class VideoPlayer;
struct ModelInfo;

class GeneratePanel : public QWidget {
  Q_OBJECT

 public:
  explicit GeneratePanel(StudioSession* session, QWidget* parent = nullptr);

  GenerateRequest request() const;  // the form's values (seed as shown)
  // False when the request's student could not be applied (the status line says why); the rest
  // of the settings are loaded either way.
  bool setRequest(const GenerateRequest& request);
  void setRandomSeed(bool random);
  void setOutputFolder(const QString& folder);  // and rescans the gallery
  // Generate with this student file (empty: the model as loaded); false, with the reason in the
  // status line, for a file that is not a student.
  bool setStudent(const QString& path);
  QString student() const { return student_; }

  GenerateController* controller() { return controller_; }
  GalleryModel* gallery() { return gallery_; }
  VideoPlayer* player() { return player_; }

 public slots:
  void generate();  // draws a random seed first when asked to
  void cancel();
  void reuseSelected();
  void revealSelected();

 private:
  void applyModelDefaults(const ModelInfo& info);
  void setBusy(bool busy);
  int selectedRow() const;

  StudioSession* session_;
  GenerateController* controller_;
  GalleryModel* gallery_;
  QLineEdit* prompt_;
  QPlainTextEdit* negative_;
  SeedEdit* seed_;
  QString grid_;  // no widget: kept from a re-used clip so that it is regenerated on the same grid
  QCheckBox* randomSeed_;
  QSpinBox* steps_;
  QDoubleSpinBox* guidance_;
  QDoubleSpinBox* shift_;
  QSpinBox* frames_;
  QSpinBox* height_;
  QSpinBox* width_;
  QComboBox* sampler_;
  QLabel* studentLabel_;
  QString student_;
  QPushButton* generate_;
  QPushButton* cancel_;
  QProgressBar* progress_;
  QLabel* status_;
  QLabel* folderLabel_;
  VideoPlayer* player_;
  QListView* galleryView_;
};

}  // namespace linvideo::ui
