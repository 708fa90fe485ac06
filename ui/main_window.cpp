#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>

#include "ui/about_box.h"
#include "ui/engine/studio_session.h"
#include "ui/panels/compare_panel.h"
#include "ui/panels/distill_page.h"
#include "ui/panels/generate_panel.h"
#include "ui/panels/layers_panel.h"
#include "ui/panels/model_panel.h"
#include "ui/panels/train_panel.h"
#include "ui/task_status_bar.h"
#include "ui/train/train_controller.h"
#include "ui/compare/compare_controller.h"
#include "ui/widgets/job_list_view.h"

namespace linvideo::ui {
namespace {

constexpr int kMaxRecent = 8;

// A model is a folder; dropping or picking one of its files means that folder.
QString folderOf(const QString& path) {
  const QFileInfo info(path);
  return info.isDir() ? info.absoluteFilePath() : info.absolutePath();
}

}  // namespace

MainWindow::MainWindow(StudioSession* session, SettingsMode settings, QWidget* parent)
    : QMainWindow(parent), session_(session), settingsMode_(settings) {
  setWindowTitle(tr("LinVideo Studio"));
  setAcceptDrops(true);
  setMinimumSize(1024, 640);

  navigation_ = new QListWidget(this);
  navigation_->setFixedWidth(150);
  stack_ = new QStackedWidget(this);
  auto* central = new QWidget(this);
  auto* layout = new QHBoxLayout(central);
  layout->addWidget(navigation_);
  layout->addWidget(stack_, 1);
  setCentralWidget(central);

  modelPanel_ = new ModelPanel(session_, stack_);
  addPanel(QStringLiteral("model"), tr("Model"), modelPanel_);
  layersPanel_ = new LayersPanel(session_, stack_);
  addPanel(QStringLiteral("layers"), tr("Layers"), layersPanel_);
  auto* train = trainPanel_ = new TrainPanel(session_, stack_, settingsMode_ == SettingsMode::Persist);
  auto* generate = generatePanel_ = new GeneratePanel(session_, stack_);
  auto* compare = comparePanel_ = new ComparePanel(session_, stack_);
  addPanel(QStringLiteral("train"), tr("Train"), train);
  addPanel(QStringLiteral("generate"), tr("Generate"), generate);
  addPanel(QStringLiteral("compare"), tr("Compare"), compare);
  // A finished distillation's student is offered to Compare and Generate.
  DistillPage* distill = train->distillPage();
  connect(distill->controller(), &DistillController::finished, this, [this](const QString& student) {
    statusBar()->showMessage(tr("Distilled student ready: %1 (Train > Distill offers it to Compare and Generate)")
                                 .arg(student),
                             15000);
  });
  connect(distill, &DistillPage::compareRequested, this, [this, compare](const QString& student) {
    if (compare->addStudentFile(student)) setCurrentPanel(QStringLiteral("compare"));
  });
  connect(distill, &DistillPage::generateRequested, this, [this, generate](const QString& student) {
    if (generate->setStudent(student)) setCurrentPanel(QStringLiteral("generate"));
  });
  connect(navigation_, &QListWidget::currentRowChanged, stack_, &QStackedWidget::setCurrentIndex);
  navigation_->setCurrentRow(0);

  // The engine's queue: every job with its progress, time left, log and cancel (View > Jobs).
  jobs_ = new QDockWidget(tr("Jobs"), this);
  jobs_->setObjectName(QStringLiteral("jobs"));
  jobs_->setWidget(new JobListView(session_, jobs_));
  addDockWidget(Qt::BottomDockWidgetArea, jobs_);
  jobs_->hide();

  auto* tasks = new TaskStatusBar(session_, this);
  statusBar()->addPermanentWidget(tasks);
  connect(tasks, &TaskStatusBar::message, this,
          [this](const QString& text) { statusBar()->showMessage(text, 8000); });
  connect(modelPanel_, &ModelPanel::openRequested, this, &MainWindow::showOpenDialog);
  connect(session_, &StudioSession::modelLoaded, this, [this](const ModelInfo& info) {
    setWindowTitle(tr("LinVideo Studio – %1").arg(QFileInfo(info.folder).fileName()));
    rememberRecent(info.folder);
  });
  connect(session_, &StudioSession::modelLoadFailed, this, [this](const QString& message) {
    statusBar()->showMessage(tr("Load failed: %1").arg(message));
  });

  if (settingsMode_ == SettingsMode::Persist) {
    QSettings settings;
    recent_ = settings.value(QStringLiteral("recentModels")).toStringList();
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
      resize(1280, 800);
  } else {
    resize(1280, 800);
  }
  buildMenus();
}

QStringList MainWindow::panelNames() {
  return {QStringLiteral("model"), QStringLiteral("layers"), QStringLiteral("train"),
          QStringLiteral("generate"), QStringLiteral("compare")};
}

void MainWindow::addPanel(const QString& name, const QString& title, QWidget* panel) {
  names_ << name;
  navigation_->addItem(title);
  stack_->addWidget(panel);
}

bool MainWindow::setCurrentPanel(const QString& name) {
  const int index = static_cast<int>(names_.indexOf(name));
  if (index < 0) return false;
  navigation_->setCurrentRow(index);
  return true;
}

bool MainWindow::startDemo(const QString& panel, const QString& scratch) {
  if (panel == QStringLiteral("layers")) return layersPanel_->runScan() != nullptr;
  if (panel == QStringLiteral("train")) {
    TrainSettings s = trainPanel_->settingsFromForm();
    s.steps = 24;  // enough for the curves and the r heat map to move
    s.maxPrompts = 2;
    s.warmupSteps = 10;
    s.runDir = QDir(scratch).filePath(QStringLiteral("train-run"));
    trainPanel_->setForm(s);  // the form shows what ran
    return trainPanel_->controller()->start(s);
  }
  if (panel == QStringLiteral("generate")) {
    generatePanel_->setOutputFolder(QDir(scratch).filePath(QStringLiteral("clips")));
    generatePanel_->generate();
    return true;
  }
  if (panel == QStringLiteral("compare")) {
    comparePanel_->controller()->setOutputFolder(scratch);
    comparePanel_->runComparison();
    return true;
  }
  return false;
}

QString MainWindow::currentPanel() const { return names_.value(stack_->currentIndex()); }

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(tr("&Open model…"), this, &MainWindow::showOpenDialog);
  open->setShortcut(QKeySequence::Open);
  recentMenu_ = file->addMenu(tr("Open &recent"));
  fillRecentMenu();
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  QAction* jobs = jobs_->toggleViewAction();
  jobs->setShortcut(QKeySequence(tr("Ctrl+J")));
  view->addAction(jobs);
  view->addSeparator();
  for (int i = 0; i < names_.size(); ++i) {
    QAction* show = view->addAction(navigation_->item(i)->text(), this,
                                    [this, i] { navigation_->setCurrentRow(i); });
    show->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + i)));
  }

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About LinVideo Studio"), this, [this] { showAboutBox(this); });
}

void MainWindow::fillRecentMenu() {
  recentMenu_->clear();
  for (const QString& folder : std::as_const(recent_)) {
    recentMenu_->addAction(folder, this, [this, folder] { openModel(folder); });
  }
  recentMenu_->setEnabled(!recent_.isEmpty());
}

void MainWindow::rememberRecent(const QString& folder) {
  recent_.removeAll(folder);
  recent_.prepend(folder);
  while (recent_.size() > kMaxRecent) recent_.removeLast();
  if (settingsMode_ == SettingsMode::Persist)
    QSettings().setValue(QStringLiteral("recentModels"), recent_);
  fillRecentMenu();
}

void MainWindow::openModel(const QString& path) { modelPanel_->open(folderOf(path)); }

void MainWindow::showOpenDialog() {
  const QString folder = QFileDialog::getExistingDirectory(
      this, tr("Open a model folder"), recent_.isEmpty() ? QString() : recent_.front());
  if (!folder.isEmpty()) openModel(folder);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (settingsMode_ == SettingsMode::Persist) {
    QSettings().setValue(QStringLiteral("window/geometry"), saveGeometry());
  }
  session_->cancelAll();
  event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  const QList<QUrl> urls = event->mimeData()->urls();
  if (urls.size() == 1 && urls.front().isLocalFile()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const QList<QUrl> urls = event->mimeData()->urls();
  if (urls.size() != 1 || !urls.front().isLocalFile()) return;
  event->acceptProposedAction();
  openModel(urls.front().toLocalFile());
}

}  // namespace linvideo::ui
