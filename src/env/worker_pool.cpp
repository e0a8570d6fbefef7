#include "env/worker_pool.h"

#include "env/child_process.h"
#include "env/child_reaper.h"
#include "env/fork_server.h"
#include "env/worker_frames.h"
#include "env/worker_main.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <thread>

#include <fmt/format.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/ErrorHandling.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <nlohmann/json.hpp>

#include "ir/pipeline_runner.h"
#include "ir/program_loader.h"
#include "util/subprocess.h"

namespace cr1::env {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

}  // namespace

int hardware_jobs() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

WorkerPool::WorkerPool(const llvm::Module& module, PoolOptions options)
    : module_(module), options_(options), jobs_(options.jobs > 0 ? options.jobs : hardware_jobs()) {
  workers_.resize(static_cast<size_t>(jobs_));
}

WorkerPool::~WorkerPool() {
  for (auto& w : workers_) retire(w);
  if (bitcode_fd_ >= 0) ::close(bitcode_fd_);
}

int WorkerPool::bitcode_fd() {
  if (bitcode_fd_ >= 0) return bitcode_fd_;
  int fd = ::memfd_create("cr1-worker-module", MFD_CLOEXEC);
  if (fd < 0) return -1;
  const std::string bitcode = ir::module_to_bitcode(module_);
  for (size_t off = 0; off < bitcode.size();) {
    ssize_t w = ::write(fd, bitcode.data() + off, bitcode.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      ::close(fd);
      return -1;
    }
    off += static_cast<size_t>(w);
  }
  return bitcode_fd_ = fd;
}

int WorkerPool::wait_status(Worker& w) {
  int status = 0;
  if (w.status_fd >= 0) {
    // The server reaps its workers; it reports within milliseconds of the death we just saw.
    status = read_worker_status(w.status_fd, 10'000);
    return status < 0 ? 0 : status;
  }
  while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

bool WorkerPool::spawn(Worker& w) {
  reap_exited();  // workers retired earlier (this pool's or another's)
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
  int err_fd = make_stderr_capture("cr1-worker-stderr");
  if (options_.fork_server) {
    int module_fd = bitcode_fd();
    ForkedWorker f = module_fd >= 0 ? fork_server_spawn(sv[1], err_fd, module_fd) : ForkedWorker{};
    if (f.pid > 0) {
      ::close(sv[1]);
      w.pid = f.pid;
      w.sock = sv[0];
      w.stderr_fd = err_fd;
      w.status_fd = f.status_fd;
      w.evaluations = 0;
      w.busy = false;
      w.inbox.clear();
      ++stats_.spawns;
      return true;
    }
    // No fork server (it could not start, or died): fork from here.
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    if (err_fd >= 0) ::close(err_fd);
    return false;
  }
  if (pid == 0) {
    tie_to_parent(parent);
    ::signal(SIGPIPE, SIG_IGN);
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    if (err_fd >= 0) ::dup2(err_fd, 2);
    // Keep only stdio and our socket: the sockets of sibling workers must not
    // stay open here, or their EOF would never be seen.
    ::dup2(sv[1], 3);
    ::close_range(4, ~0U, 0);
    worker_main(module_, 3);
  }
  ::close(sv[1]);
  w.pid = pid;
  w.sock = sv[0];
  w.stderr_fd = err_fd;
  w.evaluations = 0;
  w.busy = false;
  w.inbox.clear();
  ++stats_.spawns;
  return true;
}

void WorkerPool::retire(Worker& w) {
  if (w.pid > 0) {
    // Not waited for: the teardown of a big child's address space would be on the caller's path.
    // A fork server's worker is reaped by the server.
    ::kill(w.pid, SIGKILL);
    if (w.status_fd < 0) reap_later(w.pid);
  }
  if (w.status_fd >= 0) ::close(w.status_fd);
  if (w.sock >= 0) ::close(w.sock);
  if (w.stderr_fd >= 0) ::close(w.stderr_fd);
  w = Worker{};
}

std::string WorkerPool::crash_evidence(Worker& w, int wait_status) {
  return "worker died: " + death_evidence(wait_status, w.stderr_fd);
}

std::vector<EvalResult> WorkerPool::run(std::span<const EvalRequest> requests,
                                        const std::function<void(size_t)>& progress) {
  std::vector<EvalResult> results(requests.size());
  std::deque<size_t> pending;
  for (size_t i = 0; i < requests.size(); ++i) pending.push_back(i);
  std::vector<int> attempts(requests.size(), 0);
  size_t done = 0;

  auto finish = [&](size_t i, EvalResult r) {
    results[i] = std::move(r);
    ++done;
    ++stats_.evaluations;
    if (progress) progress(done);
  };

  while (done < requests.size()) {
    // Hand pending requests to idle workers, forking them as needed.
    for (auto& w : workers_) {
      while (!pending.empty() && !w.busy) {
        if (w.pid > 0 && w.evaluations >= options_.recycle_after) retire(w);
        if (w.pid <= 0 && !spawn(w)) break;
        size_t i = pending.front();
        json req = {{"pipeline", requests[i].pipeline}, {"verify", requests[i].verify}};
        if (!requests[i].output_path.empty()) req["output_path"] = requests[i].output_path;
        if (!write_frame(w.sock, req.dump())) {
          // The worker died while idle (e.g. killed from outside): replace it and retry.
          retire(w);
          if (++attempts[i] > 2) {
            pending.pop_front();
            finish(i, EvalResult{.status = EvalStatus::crashed, .message = "worker unreachable"});
          }
          continue;
        }
        pending.pop_front();
        w.busy = true;
        w.request = i;
        w.started = Clock::now();
        w.deadline = w.started + options_.timeout;
        ++w.evaluations;
      }
    }
    if (done == requests.size()) break;

    std::vector<pollfd> fds;
    std::vector<Worker*> polled;
    auto now = Clock::now();
    auto next_deadline = now + std::chrono::hours(1);
    for (auto& w : workers_) {
      if (!w.busy) continue;
      fds.push_back({w.sock, POLLIN, 0});
      polled.push_back(&w);
      next_deadline = std::min(next_deadline, w.deadline);
    }
    if (fds.empty()) {
      // No worker could be forked: fail what is left rather than spin.
      while (!pending.empty()) {
        size_t i = pending.front();
        pending.pop_front();
        finish(i, EvalResult{.status = EvalStatus::crashed, .message = fmt::format("cannot fork a worker: {}", std::strerror(errno))});
      }
      break;
    }
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline - now).count();
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(wait_ms + 1, 0, 60'000)));
    if (n < 0 && errno != EINTR) break;

    for (size_t k = 0; k < fds.size(); ++k) {
      Worker& w = *polled[k];
      if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
        char chunk[65536];
        ssize_t r = ::read(w.sock, chunk, sizeof chunk);
        if (r > 0) w.inbox.append(chunk, static_cast<size_t>(r));
        std::string payload;
        if (pop_frame(w.inbox, payload)) {
          EvalResult res;
          bool fatal = false;
          try {
            json a = json::parse(payload);
            from_json(a, res);
            fatal = a.value("fatal", false);
          } catch (const std::exception& e) {
            res = EvalResult{.status = EvalStatus::crashed, .message = fmt::format("garbled worker answer: {}", e.what())};
            fatal = true;
          }
          res.wall_seconds = std::chrono::duration<double>(Clock::now() - w.started).count();
          size_t i = w.request;
          w.busy = false;
          if (res.status == EvalStatus::crashed) ++stats_.crashes;
          if (fatal) retire(w);
          finish(i, std::move(res));
          continue;
        }
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
          // EOF without an answer: the worker died (signal, abort, exit).
          int status = wait_status(w);
          w.pid = -1;
          std::string why = crash_evidence(w, status);
          size_t i = w.request;
          double wall = std::chrono::duration<double>(Clock::now() - w.started).count();
          retire(w);
          ++stats_.crashes;
          finish(i, EvalResult{.status = EvalStatus::crashed, .wall_seconds = wall, .message = why});
          continue;
        }
      }
      if (w.busy && Clock::now() >= w.deadline) {
        size_t i = w.request;
        double wall = std::chrono::duration<double>(Clock::now() - w.started).count();
        retire(w);
        ++stats_.timeouts;
        finish(i, EvalResult{.status = EvalStatus::timeout,
                             .wall_seconds = wall,
                             .message = fmt::format("no answer within {} ms; worker killed", options_.timeout.count())});
      }
    }
  }
  return results;
}

std::vector<pid_t> WorkerPool::worker_pids() const {
  std::vector<pid_t> pids;
  for (const auto& w : workers_)
    if (w.pid > 0) pids.push_back(w.pid);
  return pids;
}

EvalResult WorkerPool::run_one(const EvalRequest& request) {
  return run(std::span<const EvalRequest>(&request, 1)).front();
}

}  // namespace cr1::env
