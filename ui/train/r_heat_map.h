#pragma once
// r of every layer over the training steps: one column per step, one row per layer, coloured from
// linear (r = 0) to softmax (r = 1). Painted from plain values; no engine access.
#include <QVector>
#include <QWidget>

namespace linvideo::ui {

class RHeatMap : public QWidget {
  Q_OBJECT

 public:
  explicit RHeatMap(QWidget* parent = nullptr);

  void clear();
  void addStep(const QVector<double>& r);  // r per layer, after one step
  int steps() const { return static_cast<int>(columns_.size()); }
  QSize minimumSizeHint() const override { return {240, 120}; }

  static QColor colorOf(double r);  // 0: linear (orange) .. 1: softmax (blue)

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  QVector<QVector<double>> columns_;
};

}  // namespace linvideo::ui
