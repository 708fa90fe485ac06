#include "core/format_duration.h"

#include <cmath>
#include <cstdio>

namespace linvideo {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return {};
  if (seconds >= 10000.0 * 3600) return "more than 10000 h";
  const long long s = std::llround(seconds);
  char buf[48];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%lld s", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lld min %02lld s", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", s / 3600, (s / 60) % 60);
  }
  return buf;
}

}  // namespace linvideo
