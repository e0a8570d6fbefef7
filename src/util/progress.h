// A one-line progress bar on stderr, drawn only when stderr is a terminal, so
// logs and pipes stay clean.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace cr1 {

class ProgressBar {
 public:
  ProgressBar(std::string label, size_t total, bool enabled = true);
  ~ProgressBar();  // finishes the line
  void update(size_t done);
  void finish();

 private:
  std::string label_;
  size_t total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace cr1
