#include "ui/panels/generate_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSettings>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include "ui/engine/student_file.h"
#include "ui/engine/studio_session.h"
#include "ui/generate/gallery_model.h"
#include "ui/generate/generate_controller.h"
#include "ui/widgets/seed_edit.h"
#include "ui/widgets/video_player.h"

namespace linvideo::ui {
namespace {

const char* kFolderKey = "generate/clipsFolder";

QString clockText(double seconds) {
  const int s = static_cast<int>(seconds + 0.5);
  return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}

}  // namespace

GeneratePanel::GeneratePanel(StudioSession* session, QWidget* parent)
    : QWidget(parent),
      session_(session),
      controller_(new GenerateController(session, this)),
      gallery_(new GalleryModel(this)) {
  // ---- the form ----
  auto* form = new QFormLayout;
  prompt_ = new QLineEdit(QStringLiteral("a small red circle moving left on a black background"), this);
  prompt_->setPlaceholderText(tr("Describe the clip"));
  prompt_->setCursorPosition(0);
  negative_ = new QPlainTextEdit(this);
  negative_->setPlaceholderText(tr("(the model's default)"));
  negative_->setMaximumHeight(54);
  seed_ = new SeedEdit(this);
  randomSeed_ = new QCheckBox(tr("Random"), this);
  auto* seedRow = new QHBoxLayout;
  seedRow->addWidget(seed_, 1);
  seedRow->addWidget(randomSeed_);
  steps_ = new QSpinBox(this);
  steps_->setRange(1, 1000);
  guidance_ = new QDoubleSpinBox(this);
  guidance_->setRange(0, 30);
  guidance_->setSingleStep(0.5);
  shift_ = new QDoubleSpinBox(this);
  shift_->setRange(0.1, 30);
  shift_->setSingleStep(0.5);
  frames_ = new QSpinBox(this);
  frames_->setRange(1, 1001);
  frames_->setSingleStep(4);
  frames_->setToolTip(tr("4k+1 frames"));
  height_ = new QSpinBox(this);
  width_ = new QSpinBox(this);
  for (QSpinBox* side : {height_, width_}) {
    side->setRange(16, 4096);
    side->setSingleStep(16);
    side->setSuffix(tr(" px"));
  }
  auto* sizeRow = new QHBoxLayout;
  sizeRow->addWidget(width_);
  sizeRow->addWidget(new QLabel(QStringLiteral("×"), this));
  sizeRow->addWidget(height_);
  sampler_ = new QComboBox(this);
  sampler_->addItem(tr("UniPC"), QStringLiteral("unipc"));
  sampler_->addItem(tr("Euler"), QStringLiteral("euler"));
  form->addRow(tr("Prompt"), prompt_);
  form->addRow(tr("Negative"), negative_);
  form->addRow(tr("Seed"), seedRow);
  form->addRow(tr("Steps"), steps_);
  form->addRow(tr("Guidance"), guidance_);
  form->addRow(tr("Shift"), shift_);
  form->addRow(tr("Frames"), frames_);
  form->addRow(tr("Size (w × h)"), sizeRow);
  form->addRow(tr("Sampler"), sampler_);
  studentLabel_ = new QLabel(this);
  studentLabel_->setWordWrap(true);
  auto* pickStudent = new QToolButton(this);
  pickStudent->setText(tr("…"));
  pickStudent->setToolTip(tr("Generate with a distilled few-step student (Train > Distill)"));
  auto* clearStudent = new QToolButton(this);
  clearStudent->setText(tr("×"));
  clearStudent->setToolTip(tr("Back to the model as loaded"));
  auto* studentRow = new QHBoxLayout;
  studentRow->addWidget(studentLabel_, 1);
  studentRow->addWidget(pickStudent);
  studentRow->addWidget(clearStudent);
  form->addRow(tr("Student"), studentRow);

  generate_ = new QPushButton(tr("Generate"), this);
  generate_->setToolTip(tr("Generate with the current layer modes (Ctrl+Return)"));
  generate_->setDefault(true);
  cancel_ = new QPushButton(tr("Cancel"), this);
  cancel_->setToolTip(tr("Stop after the current step (Esc)"));
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(generate_, 1);
  buttons->addWidget(cancel_);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1);
  progress_->setValue(0);
  status_ = new QLabel(tr("Ready"), this);
  status_->setWordWrap(true);

  auto* settingsBox = new QGroupBox(tr("Settings"), this);
  auto* settingsLayout = new QVBoxLayout(settingsBox);
  settingsLayout->addLayout(form);
  settingsLayout->addLayout(buttons);
  settingsLayout->addWidget(progress_);
  settingsLayout->addWidget(status_);
  settingsLayout->addStretch(1);
  settingsBox->setMinimumWidth(300);
  settingsBox->setMaximumWidth(380);

  // ---- the player ----
  player_ = new VideoPlayer(this);
  player_->clear(tr("Press Generate (Ctrl+Return): the preview of each step and then the clip play here"));
  auto* playerBox = new QGroupBox(tr("Preview and result"), this);
  auto* playerLayout = new QVBoxLayout(playerBox);
  playerLayout->addWidget(player_);

  // ---- the gallery ----
  galleryView_ = new QListView(this);
  galleryView_->setModel(gallery_);
  galleryView_->setIconSize(QSize(64, 64));
  galleryView_->setWordWrap(true);
  galleryView_->setUniformItemSizes(true);
  auto* reveal = new QPushButton(tr("Reveal file"), this);
  auto* reuse = new QPushButton(tr("Re-use settings"), this);
  auto* chooseFolder = new QPushButton(tr("Folder…"), this);
  folderLabel_ = new QLabel(this);
  folderLabel_->setWordWrap(true);
  auto* galleryButtons = new QHBoxLayout;
  galleryButtons->addWidget(reveal);
  galleryButtons->addWidget(reuse);
  galleryButtons->addWidget(chooseFolder);
  auto* galleryBox = new QGroupBox(tr("Gallery"), this);
  auto* galleryLayout = new QVBoxLayout(galleryBox);
  galleryLayout->addWidget(galleryView_, 1);
  galleryLayout->addLayout(galleryButtons);
  galleryLayout->addWidget(folderLabel_);

  auto* right = new QSplitter(Qt::Vertical, this);
  right->addWidget(playerBox);
  right->addWidget(galleryBox);
  right->setStretchFactor(0, 3);
  right->setStretchFactor(1, 2);
  auto* layout = new QHBoxLayout(this);
  layout->addWidget(settingsBox);
  layout->addWidget(right, 1);

  // ---- behaviour ----
  connect(generate_, &QPushButton::clicked, this, &GeneratePanel::generate);
  connect(cancel_, &QPushButton::clicked, this, &GeneratePanel::cancel);
  auto* generateKey = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
  generateKey->setContext(Qt::WidgetWithChildrenShortcut);
  connect(generateKey, &QShortcut::activated, this, &GeneratePanel::generate);
  auto* cancelKey = new QShortcut(QKeySequence(Qt::Key_Escape), this);
  cancelKey->setContext(Qt::WidgetWithChildrenShortcut);
  connect(cancelKey, &QShortcut::activated, this, &GeneratePanel::cancel);
  connect(randomSeed_, &QCheckBox::toggled, seed_, &QWidget::setDisabled);
  connect(pickStudent, &QToolButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Distilled student"), student_,
                                                      tr("Students (*.safetensors)"));
    if (!path.isEmpty()) setStudent(path);
  });
  connect(clearStudent, &QToolButton::clicked, this, [this] { setStudent({}); });
  connect(reveal, &QPushButton::clicked, this, &GeneratePanel::revealSelected);
  connect(reuse, &QPushButton::clicked, this, &GeneratePanel::reuseSelected);
  connect(galleryView_, &QListView::doubleClicked, this, [this](const QModelIndex& index) {
    player_->openFiles({gallery_->entry(index.row()).path});
  });
  connect(chooseFolder, &QPushButton::clicked, this, [this] {
    const QString folder =
        QFileDialog::getExistingDirectory(this, tr("Folder for generated clips"), controller_->outputFolder());
    if (folder.isEmpty()) return;
    QSettings().setValue(QLatin1String(kFolderKey), folder);
    setOutputFolder(folder);
  });

  connect(controller_, &GenerateController::started, this, [this](const GenerateRequest& r) {
    setBusy(true);
    progress_->setRange(0, r.steps);
    progress_->setValue(0);
    status_->setText(tr("Starting (seed %1)…").arg(r.seed));
  });
  connect(controller_, &GenerateController::stepProgress, this,
          [this](int step, int total, double eta, double perStep) {
            progress_->setRange(0, total);
            progress_->setValue(step);
            status_->setText(tr("Step %1/%2 · %3 s/step · ETA %4")
                                 .arg(step)
                                 .arg(total)
                                 .arg(perStep, 0, 'f', 2)
                                 .arg(clockText(eta)));
            if (step == total) status_->setText(tr("Decoding and encoding MP4…"));
          });
  connect(controller_, &GenerateController::preview, this, [this](const QImage& image, int step, int total) {
    player_->showImage(image, tr("Denoised estimate after step %1/%2 (preview)").arg(step).arg(total));
  });
  connect(controller_, &GenerateController::finished, this, [this](const GalleryEntry& entry) {
    setBusy(false);
    status_->setText(tr("Done in %1 s (DiT %2 s) → %3")
                         .arg(entry.wallSeconds, 0, 'f', 1)
                         .arg(entry.ditSeconds, 0, 'f', 1)
                         .arg(QFileInfo(entry.path).fileName()));
    gallery_->addEntry(entry);
    galleryView_->setCurrentIndex(gallery_->index(0));
    player_->openFiles({entry.path});
  });
  connect(controller_, &GenerateController::failed, this, [this](const QString& message) {
    setBusy(false);
    status_->setText(tr("Failed: %1").arg(message));
  });
  connect(controller_, &GenerateController::cancelled, this, [this] {
    setBusy(false);
    progress_->setValue(0);
    status_->setText(tr("Cancelled; no clip written"));
  });
  connect(player_, &VideoPlayer::loaded, player_, &VideoPlayer::play);
  setRequest(GenerateRequest{});
  connect(session_, &StudioSession::modelLoaded, this, &GeneratePanel::applyModelDefaults);
  if (session_->modelInfo().isValid()) applyModelDefaults(session_->modelInfo());
  setBusy(false);
  setOutputFolder(QSettings().value(QLatin1String(kFolderKey), controller_->outputFolder()).toString());
}

GenerateRequest GeneratePanel::request() const {
  GenerateRequest r;
  r.prompt = prompt_->text().trimmed();
  r.negativePrompt = negative_->toPlainText().trimmed();
  r.seed = seed_->value();
  r.steps = steps_->value();
  r.guidance = guidance_->value();
  r.shift = shift_->value();
  r.frames = frames_->value();
  r.height = height_->value();
  r.width = width_->value();
  r.sampler = sampler_->currentData().toString();
  r.grid = grid_;
  r.student = student_;
  return r;
}

bool GeneratePanel::setStudent(const QString& path) {
  StudentInfo info;
  if (!path.isEmpty()) {
    info = readStudentInfo(path);
    if (!info.isValid()) {
      status_->setText(info.error);
      return false;
    }
  }
  student_ = path;
  studentLabel_->setText(path.isEmpty() ? tr("none (the model as loaded)") : info.label());
  studentLabel_->setToolTip(path);
  // The student's schedule decides these.
  const QString why = path.isEmpty() ? QString() : tr("Set by the student's schedule (no CFG, Euler)");
  for (QWidget* w : std::initializer_list<QWidget*>{steps_, guidance_, shift_, sampler_}) {
    w->setEnabled(path.isEmpty());
    w->setToolTip(why);
  }
  if (!path.isEmpty()) status_->setText(tr("Generating with the %1").arg(info.label()));
  return true;
}

bool GeneratePanel::setRequest(const GenerateRequest& r) {
  if (!r.prompt.isEmpty()) prompt_->setText(r.prompt);
  negative_->setPlainText(r.negativePrompt);
  seed_->setValue(r.seed);  // all 64 bits
  steps_->setValue(r.steps);
  guidance_->setValue(r.guidance);
  shift_->setValue(r.shift);
  frames_->setValue(static_cast<int>(r.frames));
  height_->setValue(static_cast<int>(r.height));
  width_->setValue(static_cast<int>(r.width));
  sampler_->setCurrentIndex(std::max(0, sampler_->findData(r.sampler)));
  grid_ = r.grid;
  return setStudent(r.student);
}

void GeneratePanel::setRandomSeed(bool random) { randomSeed_->setChecked(random); }

void GeneratePanel::setOutputFolder(const QString& folder) {
  controller_->setOutputFolder(folder);
  folderLabel_->setText(tr("Clips: %1").arg(QDir::toNativeSeparators(folder)));
  gallery_->scanFolder(folder);
}

void GeneratePanel::applyModelDefaults(const ModelInfo& info) {
  const GenerateRequest& d = info.defaults;
  steps_->setValue(d.steps);
  guidance_->setValue(d.guidance);
  shift_->setValue(d.shift);
  frames_->setValue(static_cast<int>(d.frames));
  height_->setValue(static_cast<int>(d.height));
  width_->setValue(static_cast<int>(d.width));
}

void GeneratePanel::generate() {
  if (controller_->isRunning()) return;
  if (prompt_->text().trimmed().isEmpty()) {
    status_->setText(tr("Write a prompt first"));
    return;
  }
  if (randomSeed_->isChecked()) seed_->setValue(QRandomGenerator::global()->generate64());
  controller_->start(request());
}

void GeneratePanel::cancel() {
  if (!controller_->isRunning()) return;
  status_->setText(tr("Cancelling after the current step…"));
  controller_->cancel();
}

void GeneratePanel::setBusy(bool busy) {
  generate_->setEnabled(!busy);
  cancel_->setEnabled(busy);
}

int GeneratePanel::selectedRow() const {
  const QModelIndex index = galleryView_->currentIndex();
  return index.isValid() ? index.row() : -1;
}

void GeneratePanel::reuseSelected() {
  const int row = selectedRow();
  if (row < 0) return;
  setRandomSeed(false);
  const QString name = QFileInfo(gallery_->entry(row).path).fileName();
  if (setRequest(gallery_->entry(row).request)) {
    status_->setText(tr("Settings of %1 loaded").arg(name));
  } else {  // the clip's student file is gone or no longer a student: say so, keep the rest
    status_->setText(tr("Settings of %1 loaded, but not its student: %2").arg(name, status_->text()));
  }
}

void GeneratePanel::revealSelected() {
  const int row = selectedRow();
  const QString folder = row < 0 ? controller_->outputFolder() : QFileInfo(gallery_->entry(row).path).absolutePath();
  QDesktopServices::openUrl(QUrl::fromLocalFile(folder));
}

}  // namespace linvideo::ui
