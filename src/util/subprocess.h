// Runs an external program (clang, opt) with captured output and a deadline.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace cr1 {

struct SubprocessResult {
  int exit_code = -1;      // valid when !signaled && !timed_out
  int signal = 0;          // terminating signal, 0 if none
  bool timed_out = false;
  bool spawn_failed = false;  // the program could not be started at all
  std::string out;
  std::string err;
  bool success() const { return !spawn_failed && !timed_out && signal == 0 && exit_code == 0; }
};

// argv[0] is looked up on PATH when it has no '/'. stdin is /dev/null.
SubprocessResult run_subprocess(const std::vector<std::string>& argv,
                                std::optional<std::chrono::milliseconds> timeout = std::nullopt);

// The last `max_lines` non-empty lines of `text`, joined by " | " (for one-line error messages).
std::string tail_lines(const std::string& text, int max_lines = 3);

}  // namespace cr1
