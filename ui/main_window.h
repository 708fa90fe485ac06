#pragma once
// The studio's window: a navigation list (Model, Layers, Train, Generate, Compare) beside a stack
// of panels, a menu, and the task strip in the status bar. It knows the panels only by
// construction and name; each panel talks to the StudioSession itself.
#include <QMainWindow>
#include <QStringList>

class QDockWidget;
class QListWidget;
class QMenu;
class QStackedWidget;

namespace linvideo::ui {

class ComparePanel;
class GeneratePanel;
class LayersPanel;
class ModelPanel;
class StudioSession;
class TrainPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  // Ephemeral: neither reads nor writes QSettings (screenshots, tests).
  enum class SettingsMode { Persist, Ephemeral };

  explicit MainWindow(StudioSession* session, SettingsMode settings = SettingsMode::Persist,
                      QWidget* parent = nullptr);

  static QStringList panelNames();  // "model", "layers", "train", "generate", "compare"
  // Shows the panel of that name; false (and nothing changes) for an unknown name.
  bool setCurrentPanel(const QString& name);
  QString currentPanel() const;
  QDockWidget* jobsDock() const { return jobs_; }  // the engine's queue (View > Jobs)
  // Screenshots of the studio in use: starts the panel's representative job on the loaded model
  // (Layers: a scan; Train: a short transfer run; Generate: a clip; Compare: teacher against the
  // converted model), writing into `scratch`. False when the panel has none (Model).
  bool startDemo(const QString& panel, const QString& scratch);

 public slots:
  // Opens a model folder (a file opens the folder holding it) with the Model panel's choices.
  void openModel(const QString& path);
  void showOpenDialog();

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void addPanel(const QString& name, const QString& title, QWidget* panel);
  void buildMenus();
  void rememberRecent(const QString& folder);
  void fillRecentMenu();

  StudioSession* session_;
  SettingsMode settingsMode_;
  QListWidget* navigation_;
  QStackedWidget* stack_;
  ModelPanel* modelPanel_;
  LayersPanel* layersPanel_ = nullptr;
  TrainPanel* trainPanel_ = nullptr;
  GeneratePanel* generatePanel_ = nullptr;
  ComparePanel* comparePanel_ = nullptr;
  QMenu* recentMenu_ = nullptr;
  QDockWidget* jobs_ = nullptr;
  QStringList names_;
  QStringList recent_;
};

}  // namespace linvideo::ui
