#include "env/child_process.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "util/subprocess.h"

namespace cr1::env {

void tie_to_parent(pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(0);
}

int make_stderr_capture(const char* name) { return ::memfd_create(name, MFD_CLOEXEC); }

std::string captured_stderr_tail(int fd, int lines) {
  if (fd < 0) return {};
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size <= 0) return {};
  off_t from = size > 4096 ? size - 4096 : 0;
  std::string text(static_cast<size_t>(size - from), '\0');
  ssize_t got = ::pread(fd, text.data(), text.size(), from);
  text.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return tail_lines(text, lines);
}

std::string wait_status_text(int status) {
  if (WIFSIGNALED(status)) {
    const char* name = ::strsignal(WTERMSIG(status));
    return fmt::format("signal {} ({})", WTERMSIG(status), name ? name : "?");
  }
  if (WIFEXITED(status)) return fmt::format("exit code {}", WEXITSTATUS(status));
  return "unknown status";
}

std::string death_evidence(int status, int stderr_fd) {
  std::string how = wait_status_text(status);
  std::string tail = captured_stderr_tail(stderr_fd);
  return tail.empty() ? how : how + ": " + tail;
}

}  // namespace cr1::env
