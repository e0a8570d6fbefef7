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

void close_child(Child& c) {
  if (c.out >= 0) ::close(c.out);
  if (c.err >= 0) ::close(c.err);
  c = Child{};
}

}  // namespace

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
      std::string out = run(job);
      size_t off = 0;
      while (off < out.size()) {
        ssize_t w = ::write(p[1], out.data() + off, out.size() - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) ::_exit(3);
        off += static_cast<size_t>(w);
      }
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
        if (got > 0) c.buffer.append(buf, static_cast<size_t>(got));
        else if (got == 0 || errno != EINTR) eof = true;
      }
      if (eof) {
        int status = 0;
        while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
          finish(c, JobResult{JobOutcome::ok, std::move(c.buffer), {}});
        } else {
          finish(c, JobResult{JobOutcome::crashed, {}, death_evidence(status, c.err)});
        }
      } else if (Clock::now() >= c.deadline) {
        ::kill(c.pid, SIGKILL);
        while (::waitpid(c.pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        finish(c, JobResult{JobOutcome::timeout, {}, fmt::format("no result within {} ms; killed", options.timeout.count())});
      }
    }
    std::erase_if(running, [](const Child& c) { return c.pid < 0; });
  }
}

}  // namespace cr1::env
