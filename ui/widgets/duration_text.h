#pragma once
// Time left as the progress bars show it: "4:05", "1:02:03"; "–" when unknown (negative).
#include <QString>
#include <cmath>

namespace linvideo::ui {

inline QString durationText(double seconds) {
  if (seconds < 0) return QStringLiteral("–");
  const int s = static_cast<int>(std::lround(seconds));
  const QChar zero('0');
  return s >= 3600 ? QStringLiteral("%1:%2:%3")
                         .arg(s / 3600)
                         .arg(s / 60 % 60, 2, 10, zero)
                         .arg(s % 60, 2, 10, zero)
                   : QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, zero);
}

}  // namespace linvideo::ui
