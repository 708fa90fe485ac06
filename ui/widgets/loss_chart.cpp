#include "ui/widgets/loss_chart.h"

#include <QChart>
#include <QLineSeries>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace linvideo::ui {

LossChart::LossChart(const QString& title, QWidget* parent)
    : QChartView(parent), chart_(new QChart), x_(new QValueAxis), y_(new QValueAxis) {
  chart_->setTitle(title);
  chart_->legend()->setAlignment(Qt::AlignBottom);
  x_->setTitleText(tr("step"));
  x_->setLabelFormat(QStringLiteral("%d"));
  chart_->addAxis(x_, Qt::AlignBottom);
  chart_->addAxis(y_, Qt::AlignLeft);
  setChart(chart_);
  setRenderHint(QPainter::Antialiasing);
  setMinimumHeight(220);
  clear(1);
}

void LossChart::clear(qint64 totalSteps) {
  for (QLineSeries* series : std::as_const(series_)) {
    chart_->removeSeries(series);
    delete series;
  }
  series_.clear();
  min_ = max_ = 0;
  x_->setRange(0, static_cast<double>(std::max<qint64>(1, totalSteps)));
  y_->setRange(0, 1);
}

void LossChart::addStep(qint64 step, qint64 totalSteps, const QMap<QString, double>& terms) {
  for (auto it = terms.begin(); it != terms.end(); ++it) {
    QLineSeries*& series = series_[it.key()];
    if (!series) {
      series = new QLineSeries;
      series->setName(it.key());
      chart_->addSeries(series);
      series->attachAxis(x_);
      series->attachAxis(y_);
    }
    if (std::isfinite(it.value())) {
      series->append(static_cast<double>(step), it.value());
      max_ = std::max(max_, it.value());
      min_ = std::min(min_, it.value());
    }
  }
  x_->setRange(0, static_cast<double>(std::max(totalSteps, step)));
  y_->setRange(min_ * 1.1, max_ > min_ ? max_ * 1.1 : min_ + 1.0);
}

int LossChart::points(const QString& name) const {
  const QLineSeries* series = series_.value(name);
  return series ? static_cast<int>(series->count()) : 0;
}

}  // namespace linvideo::ui
