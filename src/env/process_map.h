// Runs independent jobs, each in its own forked child with a deadline, a few
// at a time. Used where a whole job (compile a file, load it, run -Oz on it)
// may crash or hang inside LLVM and must not take the caller down, e.g. when
// building a corpus. The worker pool (worker_pool.h) is the tool for many
// evaluations of one module; this is the tool for one-off jobs.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace cr1::env {

enum class JobOutcome { ok, crashed, timeout };

struct JobResult {
  JobOutcome outcome = JobOutcome::crashed;
  std::string output;  // what the child returned; when it died, what it had sent (send_line) before
  std::string error;   // why it failed, with evidence (signal, stderr tail)
};

struct ProcessMapOptions {
  int parallel = 0;                         // children at a time; 0 = all cores
  std::chrono::milliseconds timeout{60'000};  // per job
  // For a child that runs several jobs and sends a line per finished one
  // (send_line): each line restarts its deadline, so `timeout` bounds each of
  // its jobs rather than all of them.
  bool deadline_per_line = false;
};

// In a child of process_map: sends `line` and a newline to the caller at once,
// ahead of what run() returns, so that what it finished survives a crash later on.
void send_line(std::string_view line);

// Calls run(i) in a child for each i in [0, n) and on_done(i, result) in the
// caller, in completion order. `run` must not touch the caller's open files.
// `stop()` is polled between jobs; when it returns true no new jobs start.
void process_map(size_t n, const ProcessMapOptions& options, const std::function<std::string(size_t)>& run,
                 const std::function<void(size_t, JobResult)>& on_done,
                 const std::function<bool()>& stop = {});

}  // namespace cr1::env
