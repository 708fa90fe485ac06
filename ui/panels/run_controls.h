#pragma once
// What the Train panel's pages share around their RunController: Start / Pause / Cancel / Resume,
// a progress bar with ETA, the status line, the offer to resume a run left unfinished when the
// studio closed, the run's log, and the settings box that holds them below a page's form. The
// page wires Start (its form's settings) and refills its form when resumed() is emitted.
#include <QObject>
#include <QString>

class QGroupBox;
class QHBoxLayout;
class QLabel;
class QLayout;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QWidget;

namespace linvideo::ui {

class RunController;

// A line edit with a "…" button that picks a file (or, with `folder`, a folder) into it.
QHBoxLayout* withBrowse(QLineEdit* edit, bool folder, const QString& title, const QString& filter);

class RunControls : public QObject {
  Q_OBJECT

 public:
  // The widgets are `page`'s children; `idleStatus` is the status line before the first run.
  // `runDir`: the form's run folder; a finished run leaves a fresh default folder in it for the
  // next run.
  RunControls(RunController* controller, QLineEdit* runDir, const QString& idleStatus,
              QWidget* page);

  QPushButton* startButton() const { return start_; }
  QPushButton* pauseButton() const { return pause_; }
  QPushButton* resumeButton() const { return resume_; }
  QProgressBar* progressBar() const { return progress_; }
  QLabel* statusLabel() const { return status_; }
  QPlainTextEdit* log() const { return log_; }  // after addLog()

  // `form`, the buttons, the progress bar, the status line, the resume offer and `below` (when
  // given) in a group box of at most 460 pixels wide.
  QGroupBox* settingsBox(const QString& title, QLayout* form, QLayout* below = nullptr);
  // The read-only log of the run's lines.
  QPlainTextEdit* addLog(const QString& placeholder);
  // When the controller has an unfinished run: `text` (%1 the run folder, %2 its checkpoint's
  // step) above the buttons until a run starts.
  void offerUnfinishedRun(const QString& text);
  void hideResumeOffer();
  void updateButtons();

 signals:
  void resumed();  // Resume continued a run: the form shows its settings next

 private:
  RunController* controller_;
  QWidget* page_;
  QPushButton *start_, *pause_, *cancel_, *resume_;
  QHBoxLayout* buttons_;
  QProgressBar* progress_;
  QLabel *status_, *resumeOffer_;
  QPlainTextEdit* log_ = nullptr;
};

}  // namespace linvideo::ui
