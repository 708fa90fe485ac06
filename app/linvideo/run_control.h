#pragma once
// What long-running commands share: Ctrl-C that asks the engine to stop (it checkpoints and the
// command exits 130), durations, and the progress line.
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/format_duration.h"
#include "core/pipeline/text_to_video.h"

namespace linvideo::cli {

inline std::atomic<pipeline::CancelToken*>& sigint_cancel_target() {
  static std::atomic<pipeline::CancelToken*> token{nullptr};
  return token;
}

extern "C" inline void linvideo_cancel_on_sigint(int) {
  // Lock-free atomic load and store: async-signal-safe.
  if (pipeline::CancelToken* t = sigint_cancel_target().load()) t->cancel();
}

// While alive, Ctrl-C cancels `token`; on destruction (before the token goes, when declared after
// it) the previous handler is back and no pointer to the token is left behind.
class SigintCancels {
 public:
  explicit SigintCancels(pipeline::CancelToken& token) {
    previous_target_ = sigint_cancel_target().exchange(&token);
    previous_handler_ = std::signal(SIGINT, linvideo_cancel_on_sigint);
  }
  ~SigintCancels() {
    std::signal(SIGINT, previous_handler_ == SIG_ERR ? SIG_DFL : previous_handler_);
    sigint_cancel_target().store(previous_target_);
  }
  SigintCancels(const SigintCancels&) = delete;
  SigintCancels& operator=(const SigintCancels&) = delete;

 private:
  pipeline::CancelToken* previous_target_ = nullptr;
  void (*previous_handler_)(int) = SIG_DFL;
};

// A one-line progress bar on stderr for training commands; log lines start on a fresh line.
class ProgressLine {
 public:
  // Redraws "[####....] step/total<detail>  ETA ..." in place.
  void step(std::int64_t step, std::int64_t total, const std::string& detail, double eta_seconds) {
    const int width = 24;
    const int filled = static_cast<int>(width * step / (total > 0 ? total : 1));
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r[%s] %lld/%lld%s  ETA %s   ", bar.c_str(), (long long)step, (long long)total, detail.c_str(),
                 format_duration(eta_seconds).c_str());
    std::fflush(stderr);
    mid_line_ = true;
  }
  void log(const std::string& message) {
    std::fprintf(stderr, "%s%s\n", mid_line_ ? "\n" : "", message.c_str());
    mid_line_ = false;
  }
  // Ends the bar's line (call once the run returns).
  void finish() {
    if (mid_line_) std::fprintf(stderr, "\n");
    mid_line_ = false;
  }

 private:
  bool mid_line_ = false;
};

// A cancelled run's message; the command then exits 130.
inline void report_cancelled(std::int64_t steps_done, const std::string& run_dir) {
  std::fprintf(stderr, "cancelled at step %lld; checkpoint kept in %s; resume with the same command and --resume\n",
               (long long)steps_done, run_dir.c_str());
}

}  // namespace linvideo::cli
