#include "env/fork_server.h"

#include <fcntl.h>
#include <spawn.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <mutex>
#include <unordered_map>

#include "env/child_process.h"
#include "env/worker_main.h"
#include "util/process_cpu_time.h"

namespace cr1::env {
namespace {

// Sends `value` with up to 3 file descriptors attached (SCM_RIGHTS).
bool send_with_fds(int sock, int32_t value, const int* fds, size_t n) {
  iovec iov{&value, sizeof value};
  alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (n > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    std::memcpy(CMSG_DATA(c), fds, n * sizeof(int));
  }
  ssize_t w;
  while ((w = ::sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  return w == static_cast<ssize_t>(sizeof value);
}

// Receives a value and the fds attached to it (received fds are close-on-exec). Returns the number
// of fds, or -1 on EOF or error.
int recv_with_fds(int sock, int32_t& value, int* fds, size_t max) {
  iovec iov{&value, sizeof value};
  alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t r;
  while ((r = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (r != static_cast<ssize_t>(sizeof value)) return -1;
  int n = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < k; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (static_cast<size_t>(n) < max) fds[n++] = fd;
      else ::close(fd);
    }
  }
  return n;
}

// --- the server process ------------------------------------------------------

constexpr int32_t kCpuRequest = 1;  // tag of a request for the CPU time (no fds); 0 = fork a worker

int64_t micros(const timeval& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000 + t.tv_usec; }

// The server's CPU time and its workers', reaped or running, in microseconds.
int64_t cpu_micros(const std::unordered_map<pid_t, int>& live) {
  rusage self{}, children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  int64_t total = micros(self.ru_utime) + micros(self.ru_stime) + micros(children.ru_utime) + micros(children.ru_stime);
  static const long ticks = ::sysconf(_SC_CLK_TCK);
  for (const auto& [pid, fd] : live) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line) || line.rfind(')') == std::string::npos) continue;
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime (clock ticks)
      if (i == 14) utime = std::atoll(field.c_str());
      if (i == 15) stime = std::atoll(field.c_str());
    }
    total += (utime + stime) * 1'000'000 / ticks;
  }
  return total;
}

}  // namespace

[[noreturn]] void run_fork_server(int ctrl) {
  // Keep only stdio and the control socket: the caller's other files (worker sockets, databases)
  // must not stay open in the server and its workers.
  if (ctrl != 3) {
    ::dup2(ctrl, 3);
    ctrl = 3;
  }
  ::close_range(4, ~0U, 0);
  ::signal(SIGPIPE, SIG_IGN);
  // SIGCHLD through a signalfd: the loop learns of dead workers without a handler.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  int sfd = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  std::unordered_map<pid_t, int> status_pipe;  // live worker -> write end of its status pipe

  auto reap = [&] {
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = status_pipe.find(pid);
      if (it == status_pipe.end()) continue;
      [[maybe_unused]] ssize_t w = ::write(it->second, &status, sizeof status);  // EPIPE: nobody asks
      ::close(it->second);
      status_pipe.erase(it);
    }
  };

  for (;;) {
    pollfd fds[2] = {{ctrl, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (::poll(fds, sfd >= 0 ? 2 : 1, sfd >= 0 ? -1 : 50) < 0 && errno != EINTR) ::_exit(1);
    if (sfd >= 0 && (fds[1].revents & POLLIN)) {
      signalfd_siginfo info;
      while (::read(sfd, &info, sizeof info) > 0) {
      }
    }
    reap();
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    int32_t tag = 0;
    int got[3] = {-1, -1, -1};
    int n = recv_with_fds(ctrl, tag, got, 3);
    if (n < 0) ::_exit(0);  // the caller is gone
    if (n == 0 && tag == kCpuRequest) {
      int64_t micros = cpu_micros(status_pipe);
      [[maybe_unused]] ssize_t w = ::send(ctrl, &micros, sizeof micros, MSG_NOSIGNAL);
      continue;
    }
    if (n != 3) {
      for (int i = 0; i < n; ++i) ::close(got[i]);
      send_with_fds(ctrl, -1, nullptr, 0);
      continue;
    }
    int status[2];
    pid_t pid = -1;
    if (::pipe2(status, O_CLOEXEC) == 0) {
      pid_t server = ::getpid();
      pid = ::fork();
      if (pid == 0) {
        tie_to_parent(server);
        ::sigprocmask(SIG_UNBLOCK, &chld, nullptr);
        ::signal(SIGPIPE, SIG_IGN);
        int devnull = ::open("/dev/null", O_RDWR);
        ::dup2(devnull, 0);
        ::dup2(devnull, 1);
        ::dup2(got[1], 2);
        ::dup2(got[0], 3);
        ::dup2(got[2], 4);
        ::close_range(5, ~0U, 0);
        worker_main_from_bitcode(3, 4);
      }
      if (pid < 0) {
        ::close(status[0]);
        ::close(status[1]);
      }
    }
    for (int fd : got) ::close(fd);
    if (pid > 0) {
      status_pipe[pid] = status[1];
      send_with_fds(ctrl, pid, &status[0], 1);
      ::close(status[0]);
    } else {
      send_with_fds(ctrl, -1, nullptr, 0);
    }
  }
}

// --- the caller's side -------------------------------------------------------

namespace {

// The server as its own small program (cr1-fork-server: LLVM, no libtorch): a fork of it copies a
// few dozen mappings instead of the ~1,600 of a process with libtorch's ~290 libraries (~8 ms a fork).
// CR1_FORK_SERVER names it (empty: none); else the one this build made; else one beside this program.
std::string server_program() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (const char* env = std::getenv("CR1_FORK_SERVER")) return env;
#ifdef CR1_FORK_SERVER_PATH
  if (fs::exists(CR1_FORK_SERVER_PATH, ec)) return CR1_FORK_SERVER_PATH;
#endif
  fs::path beside = fs::read_symlink("/proc/self/exe", ec).parent_path() / "cr1-fork-server";
  if (!ec && fs::exists(beside, ec)) return beside.string();
  return {};
}

std::mutex g_mu;
int g_ctrl = -1;
pid_t g_server = -1;
bool g_failed = false;  // could not start: callers fork for themselves from then on

bool start_locked() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return false;
  if (std::string program = server_program(); !program.empty()) {
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, sv[1], 3);  // dup2 clears close-on-exec
    char* argv[] = {program.data(), nullptr};
    pid_t pid = -1;
    int err = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
    ::posix_spawn_file_actions_destroy(&actions);
    if (err == 0) {
      ::close(sv[1]);
      g_ctrl = sv[0];
      g_server = pid;
      return true;
    }
    // Not startable: fall back to a fork of this process.
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return false;
  }
  if (pid == 0) {
    // Keep only stdio and the control socket: the caller's other files (worker sockets, databases)
    // must not stay open in the server and its workers.
    ::dup2(sv[1], 3);
    run_fork_server(3);
  }
  ::close(sv[1]);
  g_ctrl = sv[0];
  g_server = pid;
  return true;
}

// The server died (or garbled an answer): drop it; the next spawn starts a new one.
void drop_locked() {
  if (g_ctrl >= 0) ::close(g_ctrl);
  g_ctrl = -1;
  if (g_server > 0) {
    ::kill(g_server, SIGKILL);
    while (::waitpid(g_server, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  g_server = -1;
}

// Registered with process_cpu_time (util): the workers are the server's children, not ours, so
// RUSAGE_CHILDREN alone would miss their CPU time while the server lives.
double cpu_seconds_of_server() {
  std::lock_guard lock(g_mu);
  if (g_ctrl < 0) return 0;
  int64_t micros = 0;
  if (!send_with_fds(g_ctrl, kCpuRequest, nullptr, 0)) return 0;
  ssize_t r;
  while ((r = ::recv(g_ctrl, &micros, sizeof micros, 0)) < 0 && errno == EINTR) {
  }
  if (r != sizeof micros) {
    drop_locked();
    return 0;
  }
  return static_cast<double>(micros) * 1e-6;
}

}  // namespace

ForkedWorker fork_server_spawn(int sock, int stderr_fd, int bitcode_fd) {
  std::lock_guard lock(g_mu);
  if (g_failed || sock < 0 || stderr_fd < 0 || bitcode_fd < 0) return {};
  if (g_ctrl < 0 && !start_locked()) {
    g_failed = true;
    return {};
  }
  static const bool registered = (add_children_cpu_source(cpu_seconds_of_server), true);
  (void)registered;
  const int fds[3] = {sock, stderr_fd, bitcode_fd};
  int32_t pid = -1;
  int status_fd = -1;
  if (!send_with_fds(g_ctrl, 0, fds, 3) || recv_with_fds(g_ctrl, pid, &status_fd, 1) < 0) {
    drop_locked();
    return {};
  }
  if (pid <= 0) {
    if (status_fd >= 0) ::close(status_fd);
    return {};
  }
  return {pid, status_fd};
}

pid_t fork_server_pid() {
  std::lock_guard lock(g_mu);
  return g_server;
}

int read_worker_status(int status_fd, int timeout_ms) {
  pollfd p{status_fd, POLLIN, 0};
  int r;
  while ((r = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  if (r <= 0) return -1;
  int status = 0;
  ssize_t got;
  while ((got = ::read(status_fd, &status, sizeof status)) < 0 && errno == EINTR) {
  }
  return got == sizeof status ? status : -1;
}

}  // namespace cr1::env
