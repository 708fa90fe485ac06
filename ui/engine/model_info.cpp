#include "ui/engine/model_info.h"

#include <QLocale>

namespace linvideo::ui {
namespace {

QString humanCount(double n) {
  const char* units[] = {"", " k", " M", " B"};
  int u = 0;
  while (n >= 1000.0 && u < 3) n /= 1000.0, ++u;
  return QString::number(n, 'f', u == 0 ? 0 : 2) + units[u];
}

}  // namespace

QString ModelInfo::dimensionsText() const {
  return QStringLiteral("dim %1 · %2 layers · %3 heads × %4 · FFN %5 · text %6")
      .arg(dim)
      .arg(numLayers)
      .arg(numHeads)
      .arg(headDim)
      .arg(ffnDim)
      .arg(textDim);
}

QString ModelInfo::parametersText() const {
  return QStringLiteral("%1 (%2)").arg(QLocale(QLocale::English).toString(parameterCount),
                                       humanCount(static_cast<double>(parameterCount)));
}

QString ModelInfo::memoryText() const {
  return QStringLiteral("%1 of DiT weights on %2")
      .arg(QLocale::c().formattedDataSize(static_cast<qint64>(weightBytes), 1,
                                          QLocale::DataSizeSIFormat),
           device);
}

}  // namespace linvideo::ui
