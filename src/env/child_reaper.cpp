#include "env/child_reaper.h"

#include <sys/wait.h>

#include <cerrno>
#include <mutex>
#include <vector>

namespace cr1::env {
namespace {

std::mutex g_mu;
std::vector<pid_t>& pending() {
  static std::vector<pid_t> pids;  // small: children die within milliseconds of SIGKILL
  return pids;
}

}  // namespace

void reap_later(pid_t pid) {
  if (pid <= 0) return;
  std::lock_guard lock(g_mu);
  pending().push_back(pid);
}

size_t reap_exited() {
  std::lock_guard lock(g_mu);
  auto& pids = pending();
  std::erase_if(pids, [](pid_t pid) {
    pid_t r;
    while ((r = ::waitpid(pid, nullptr, WNOHANG)) < 0 && errno == EINTR) {
    }
    return r != 0;  // reaped, or not our child any more (ECHILD): drop it either way
  });
  return pids.size();
}

}  // namespace cr1::env
