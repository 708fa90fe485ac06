#include "ui/train/r_heat_map.h"

#include <QPainter>
#include <algorithm>

namespace linvideo::ui {

RHeatMap::RHeatMap(QWidget* parent) : QWidget(parent) {
  setToolTip(tr("Learned r per layer (rows) over the steps (columns): blue = softmax (r = 1), "
                "orange = linear (r = 0)"));
}

void RHeatMap::clear() {
  columns_.clear();
  update();
}

void RHeatMap::addStep(const QVector<double>& r) {
  columns_ << r;
  update();
}

QColor RHeatMap::colorOf(double r) {
  const double t = std::clamp(r, 0.0, 1.0);
  const QColor linear(0xe6, 0x7e, 0x22), softmax(0x2c, 0x6f, 0xbb);
  return QColor::fromRgbF(static_cast<float>(linear.redF() + t * (softmax.redF() - linear.redF())),
                          static_cast<float>(linear.greenF() + t * (softmax.greenF() - linear.greenF())),
                          static_cast<float>(linear.blueF() + t * (softmax.blueF() - linear.blueF())));
}

void RHeatMap::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().base());
  const int labelWidth = fontMetrics().horizontalAdvance(QStringLiteral("L00 ")) + 4;
  const int layers = columns_.isEmpty() ? 0 : static_cast<int>(columns_.back().size());
  if (layers == 0) {
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(rect(), Qt::AlignCenter, tr("r per layer appears here while training"));
    return;
  }
  const QRectF area(labelWidth, 2, width() - labelWidth - 2, height() - 4);
  const double cellH = area.height() / layers;
  const double cellW = area.width() / std::max<qsizetype>(1, columns_.size());
  p.setPen(palette().color(QPalette::Text));
  for (int l = 0; l < layers; ++l) {
    p.drawText(QRectF(0, area.top() + l * cellH, labelWidth - 4, cellH), Qt::AlignRight | Qt::AlignVCenter,
               QStringLiteral("L%1").arg(l + 1));
  }
  for (qsizetype s = 0; s < columns_.size(); ++s) {
    const QVector<double>& column = columns_[s];
    for (int l = 0; l < std::min<int>(layers, static_cast<int>(column.size())); ++l) {
      p.fillRect(QRectF(area.left() + s * cellW, area.top() + l * cellH, cellW + 0.5, cellH + 0.5),
                 colorOf(column[l]));
    }
  }
}

}  // namespace linvideo::ui
