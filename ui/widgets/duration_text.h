#pragma once
// Time left as the progress bars show it: the project's one duration format (core/format_duration:
// "45 s", "3 min 05 s", "2 h 07 min"); "–" when unknown (negative).
#include <QString>

#include "core/format_duration.h"

namespace linvideo::ui {

inline QString durationText(double seconds) {
  const std::string text = format_duration(seconds);
  return text.empty() ? QStringLiteral("–") : QString::fromStdString(text);
}

}  // namespace linvideo::ui
