// A pool of fork-server worker processes that already hold the parsed module.
//
// Why processes: some pass sequences make LLVM abort (report_fatal_error,
// failed internal checks, segfaults) or run for very long. A worker applies a
// sequence to a clone of its module and answers with the count; a crash,
// abort or timeout kills only that worker. The pool reports a typed failure
// and forks a fresh worker, so the caller never dies and no request is lost.
//
// How workers start: by default the fork server (fork_server.h), a small
// process, forks them and they parse the module from bitcode (a fork of a big
// caller with libtorch and a model cost ~10 ms); with fork_server off, or when
// there is no server, the pool forks them itself and they inherit the parsed
// module copy-on-write. Retired workers are killed and not waited for
// (child_reaper.h). The pool is driven by one thread with poll(); it is not
// thread-safe (use one pool per thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "env/eval_result.h"

namespace llvm {
class Module;
}

namespace cr1::env {

struct PoolOptions {
  int jobs = 0;                                 // worker processes; 0 = all cores
  std::chrono::milliseconds timeout{10'000};    // per evaluation
  // A worker is replaced after this many evaluations: its LLVMContext keeps
  // every constant and type the clones created, so it grows slowly.
  int recycle_after = 2000;
  // Fork workers from the small fork server (fork_server.h) rather than from this process, which
  // may be big (libtorch, a model); they then parse the module from bitcode. Off: fork directly.
  bool fork_server = true;
};

struct EvalRequest {
  std::string pipeline;     // module-level new-PM text
  bool verify = false;      // run the IR verifier after the pipeline
  std::string output_path;  // when set, the worker writes the result module here (.bc/.ll, atomically)
};

struct PoolStats {
  uint64_t evaluations = 0;
  uint64_t crashes = 0;
  uint64_t timeouts = 0;
  uint64_t spawns = 0;
};

class WorkerPool {
 public:
  // `module` must outlive the pool. Workers are forked lazily, as requests come.
  WorkerPool(const llvm::Module& module, PoolOptions options = {});
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Evaluates all requests, in parallel over the workers; results are in
  // request order. `progress(done)` is called as answers arrive.
  std::vector<EvalResult> run(std::span<const EvalRequest> requests,
                              const std::function<void(size_t)>& progress = {});
  EvalResult run_one(const EvalRequest& request);

  int jobs() const { return jobs_; }
  const PoolStats& stats() const { return stats_; }
  // Live worker processes (for diagnostics and fault-injection tests).
  std::vector<pid_t> worker_pids() const;

 private:
  struct Worker {
    pid_t pid = -1;
    int sock = -1;          // request/answer stream
    int stderr_fd = -1;     // memfd the child writes its stderr to (evidence for crashes)
    int status_fd = -1;     // forked by the fork server: where its wait status comes from (else waitpid)
    int evaluations = 0;
    bool busy = false;
    size_t request = 0;     // index of the request in flight
    std::chrono::steady_clock::time_point started, deadline;
    std::string inbox;      // bytes of a partial answer
  };

  bool spawn(Worker& w);
  int bitcode_fd();                      // the module as bitcode in a memfd, for the fork server's workers
  int wait_status(Worker& w);            // of a worker that died
  void retire(Worker& w);                // kill, reap and close
  std::string crash_evidence(Worker& w, int wait_status);

  const llvm::Module& module_;
  PoolOptions options_;
  int jobs_;
  std::vector<Worker> workers_;
  int bitcode_fd_ = -1;
  PoolStats stats_;
};

// Number of online CPUs (at least 1).
int hardware_jobs();

}  // namespace cr1::env
