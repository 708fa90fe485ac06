#pragma once
// A live chart of a training run's scalar terms: one line per name, the x axis spanning the run's
// steps, the y axis the range seen so far. The Train panel's transfer (objective, con, reg,
// total) and distillation (dm_loss, critic_loss, gap) plots; painted from plain values.
#include <QChartView>
#include <QMap>
#include <QString>

class QChart;
class QLineSeries;
class QValueAxis;

namespace linvideo::ui {

class LossChart : public QChartView {
  Q_OBJECT

 public:
  explicit LossChart(const QString& title, QWidget* parent = nullptr);

  void clear(qint64 totalSteps);  // no lines; the x axis spans 0..totalSteps
  // One point per term; a non-finite value is skipped (its line keeps its gap).
  void addStep(qint64 step, qint64 totalSteps, const QMap<QString, double>& terms);
  QStringList lineNames() const { return series_.keys(); }
  int points(const QString& name) const;

 private:
  QChart* chart_;
  QValueAxis *x_, *y_;
  QMap<QString, QLineSeries*> series_;
  double min_ = 0, max_ = 0;
};

}  // namespace linvideo::ui
