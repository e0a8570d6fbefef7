#include "env/process_map.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "env/child_process.h"
#include "env/worker_pool.h"

namespace cr1::env {
namespace {

using Clock = std::chrono::steady_clock;

struct Child {
  pid_t pid = -1;
  int out = -1;      // pipe: the job's output
  int err = -1;      // memfd: the job's stderr
  size_t job = 0;
  Clock::time_point deadline;
  std::string buffer;
};

int sending_fd = -1;  // in a child: the pipe to the caller

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t w = ::write(fd, bytes.data(), bytes.size());
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(w));
  }
  return true;
}

void close_child(Child& c) {
  if (c.out >= 0) ::close(c.out);
  if (c.err >= 0) ::close(c.err);
  c = Child{};
}

}  // namespace

void send_line(std::string_view line) {
  if (sending_fd < 0) return;
  std::string bytes(line);
  bytes += '\n';
  if (!write_all(sending_fd, bytes)) ::_exit(3);
}

void process_map(size_t n, const ProcessMapOptions& options, const std::function<std::string(size_t)>& run,
                 const std::function<void(size_t, JobResult)>& on_done, const std::function<bool()>& stop) {
  int parallel = options.parallel > 0 ? options.parallel : hardware_jobs();
  std::vector<Child> running;
  size_t next = 0;

  auto start = [&](size_t job) -> bool {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return false;
    int err = make_stderr_capture("cr1-job-stderr");
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
      ::close(p[0]);
      ::close(p[1]);
      if (err >= 0) ::close(err);
      return false;
    }
    if (pid == 0) {
      tie_to_parent(parent);
      ::close(p[0]);
      if (err >= 0) ::dup2(err, 2);
      sending_fd = p[1];
      std::string out = run(job);
      if (!write_all(p[1], out)) ::_exit(3);
      ::_exit(0);
    }
    ::close(p[1]);
    running.push_back(Child{pid, p[0], err, job, Clock::now() + options.timeout, {}});
    return true;
  };

  auto finish = [&](Child& c, JobResult r) {
    size_t job = c.job;
    close_child(c);
    on_done(job, std::move(r));
  };

  while (next < n || !running.empty()) {
    while (next < n && static_cast<int>(running.size()) < parallel && !(stop && stop())) {
      if (!start(next)) {
        on_done(next, JobResult{JobOutcome::crashed, {}, fmt::format("cannot fork: {}", std::strerror(errno))});
      }
      ++next;
    }
    if (stop && stop() && running.empty()) break;
    if (running.empty()) continue;

    std::vector<pollfd> fds;
    auto now = Clock::now();
    auto first_deadline = running.front().deadline;
    for (auto& c : running) {
      fds.push_back({c.out, POLLIN, 0});
      first_deadline = std::min(first_deadline, c.deadline);
    }
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(first_deadline - now).count();
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(wait_ms + 1, 0, 1000)));
    if (ready < 0 && errno != EINTR) break;

    for (size_t k = 0; k < running.size(); ++k) {
      Child& c = running[k];
      if (c.pid < 0) continue;
      bool eof = false;
      if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[65536];
        ssize_t got = ::read(c.out, buf, sizeof buf);
        if (got > 0) {
          if (options.deadline_per_line && std::memchr(buf, '\n', static_cast<size_t>(got)))
            c.deadline = Clock::now() + options.timeout;
          c.buffer.append(buf, static_cast<size_t>(got));
        }
        else if (got == 0 || errno != EINTR) eof = true;
      }
      if (eof) {
        int status = 0;
        while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
          finish(c, JobResult{JobOutcome::ok, std::move(c.buffer), {}});
        } else {
          finish(c, JobResult{JobOutcome::crashed, std::move(c.buffer), death_evidence(status, c.err)});
        }
      } else if (Clock::now() >= c.deadline) {
        ::kill(c.pid, SIGKILL);
        while (::waitpid(c.pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        finish(c, JobResult{JobOutcome::timeout, std::move(c.buffer),
                            fmt::format("no result within {} ms; killed", options.timeout.count())});
      }
    }
    std::erase_if(running, [](const Child& c) { return c.pid < 0; });
  }
}

}  // namespace cr1::env
