// Plain-text progress bar on stderr for the examples: no dependencies, no colours.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

namespace nercc_examples {

/// One line redrawn with '\r' on a terminal; when stderr is a file or pipe (CTest logs, runs in
/// the background) a line at most once a minute and the final state, so logs stay readable and
/// long runs still show where they are. Not thread-safe: one owner.
class ProgressBar {
 public:
  ProgressBar(std::string label, std::int64_t total, bool enabled = true)
      : label_(std::move(label)),
        total_(std::max<std::int64_t>(total, 1)),
        enabled_(enabled),
        interactive_(enabled && isatty(fileno(stderr)) != 0),
        start_(Clock::now()) {}

  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { finish(); }

  /// Reports done units out of total; status is free text such as "loss 0.412 acc 0.871".
  void update(std::int64_t done, const std::string& status = {}) {
    done_ = std::min(done, total_);
    status_ = status;
    if (!enabled_) return;
    const auto now = Clock::now();
    if (!interactive_) {
      if (done_ >= total_ || now - last_draw_ < std::chrono::minutes(1)) return;
      last_draw_ = now;
      draw('\0');
      std::fputc('\n', stderr);
      return;
    }
    // Redrawing on every batch would cost more than a small model's batch.
    if (done_ < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    draw('\r');
  }

  /// Prints the final line once; later calls do nothing.
  void finish() {
    if (!enabled_ || finished_) return;
    finished_ = true;
    draw(interactive_ ? '\r' : '\0');
    std::fputc('\n', stderr);
    std::fflush(stderr);
  }

  double elapsed_seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  using Clock = std::chrono::steady_clock;

  void draw(char lead) {
    constexpr int width = 30;
    const double frac = double(done_) / double(total_);
    const int filled = int(frac * width);
    std::string bar(std::size_t(filled), '=');
    if (filled < width) bar += '>';
    bar.resize(std::size_t(width), ' ');
    if (lead != '\0') std::fputc(lead, stderr);
    std::fprintf(stderr, "%s [%s] %3d%% %lld/%lld %.1fs %s", label_.c_str(), bar.c_str(),
                 int(frac * 100.0), static_cast<long long>(done_), static_cast<long long>(total_),
                 elapsed_seconds(), status_.c_str());
    // Clears what a longer previous status left behind.
    if (interactive_) std::fputs("\033[K", stderr);
    std::fflush(stderr);
  }

  std::string label_;
  std::int64_t total_;
  std::int64_t done_ = 0;
  std::string status_;
  bool enabled_;
  bool interactive_;
  bool finished_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_ = Clock::now();
};

}  // namespace nercc_examples
