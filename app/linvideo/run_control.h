#pragma once
// What long-running commands share: Ctrl-C that asks the engine to stop (it checkpoints and the
// command exits 130), and durations for progress lines.
#include <csignal>
#include <cstdio>
#include <string>

#include "core/pipeline/text_to_video.h"

namespace linvideo::cli {

inline pipeline::CancelToken*& sigint_cancel_target() {
  static pipeline::CancelToken* token = nullptr;
  return token;
}

extern "C" inline void linvideo_cancel_on_sigint(int) {
  if (pipeline::CancelToken* t = sigint_cancel_target()) t->cancel();  // an atomic store: async-signal-safe
}

// From now on Ctrl-C cancels `token` (which must outlive the command).
inline void cancel_on_sigint(pipeline::CancelToken& token) {
  sigint_cancel_target() = &token;
  std::signal(SIGINT, linvideo_cancel_on_sigint);
}

// "12m05s", or "1h03m" from an hour on.
inline std::string format_duration(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  }
  return buf;
}

}  // namespace linvideo::cli
