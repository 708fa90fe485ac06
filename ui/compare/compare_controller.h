#pragma once
// Renders the same prompt and seed with two or more variants, one StudioSession task per variant,
// in order. Each task saves the engine's per-layer attention states, sets the variant's
// (installing the sidecar's maps through apply_linvideo where needed; a distilled student brings
// its weights and is sampled on its own few-step schedule), generates, restores the model, writes
// the variant's MP4 and computes its metrics row against the first variant (the reference).
// exportSideBySide() composes the last run into one labelled MP4.
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>
#include <memory>

#include "ui/compare/compare_metrics_model.h"
#include "ui/engine/task.h"
#include "ui/generate/generate_request.h"

namespace linvideo::ui {

class StudioSession;
struct ModelInfo;

enum class VariantKind {
  Teacher,    // every layer softmax
  Converted,  // the model folder's shipped sidecar
  Current,    // the engine's layer modes as they are
  MaskFile,   // a layer-mask file (layer_mask.h), on top of the sidecar's maps when there is one
  Student,    // a distilled student (student.h): its weights and modes, its schedule, no CFG
};

struct CompareVariant {
  VariantKind kind = VariantKind::Teacher;
  QString label;
  QString path;  // MaskFile: the layer mask; Student: the student file
};

struct CompareRunState;  // the run's frames, engine thread only (compare_controller.cpp)

class CompareController : public QObject {
  Q_OBJECT

 public:
  explicit CompareController(StudioSession* session, QObject* parent = nullptr);
  ~CompareController() override;

  // Teacher, Converted (when the model has a sidecar) and Current.
  static QVector<CompareVariant> standardVariants(const ModelInfo& info);
  static CompareVariant maskVariant(const QString& maskPath);
  // Labelled "K-step student (FILE)"; for a file that is not a student, `error` says why and the
  // variant returned has an empty path.
  static CompareVariant studentVariant(const QString& studentPath, QString* error = nullptr);

  void setOutputFolder(const QString& folder) { outputFolder_ = folder; }  // clips go to <folder>/compare-*
  // False (nothing happens) while running or with fewer than two variants.
  bool run(const GenerateRequest& request, const QVector<CompareVariant>& variants);
  void cancel();
  bool isRunning() const { return !pending_.isEmpty(); }

  CompareMetricsModel* metrics() { return metrics_; }
  QStringList clipPaths() const;  // of the finished variants, in order
  QStringList labels() const;
  // Composes the last run side by side (labels over the columns) and writes it as MP4.
  void exportSideBySide(const QString& path);

 signals:
  void variantStarted(int index, const QString& label);
  void stepProgress(int step, int total, double etaSeconds);
  void variantFinished(int index);
  void finished();  // every variant done; metrics() complete
  void failed(const QString& message);
  void cancelled();
  void exported(const QString& path);
  void exportFailed(const QString& message);

 private:
  void abortRun();

  StudioSession* session_;
  QString outputFolder_;
  CompareMetricsModel* metrics_;
  QVector<TaskId> pending_;
  bool runEnded_ = true;  // finished/failed/cancelled already emitted for the current run
  std::shared_ptr<CompareRunState> state_;
};

}  // namespace linvideo::ui
