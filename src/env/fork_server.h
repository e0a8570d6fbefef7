// A small helper process (a "zygote") that forks the worker processes on request.
//
// Why: fork() costs in proportion to the caller's mappings and memory. A caller that has loaded
// libtorch (~290 shared libraries, ~1,600 mappings) and a model (~300 MB) paid ~10 ms per fork and
// more in copy-on-write faults of the child, twice per agent episode. The fork server starts once,
// at the first worker a process needs: the small cr1-fork-server program (LLVM only) when it is
// found, else a fork of the caller at that moment. A worker forked from it gets the program as
// bitcode (a memfd) instead of inheriting the caller's parsed module.
//
// The workers are the server's children: it reaps them and hands each one's wait status to the
// caller through a pipe (status_fd), so a crash still reads "signal 11 (Segmentation fault)". A worker
// dies with the server (PR_SET_PDEATHSIG), and the server exits when the caller's end of its socket
// closes, i.e. when the caller dies. Thread-safe.
#pragma once

#include <sys/types.h>

namespace cr1::env {

struct ForkedWorker {
  pid_t pid = -1;
  int status_fd = -1;  // yields the worker's waitpid status (4 bytes) once it died; the caller closes it
};

// Forks a worker from the server (started on first use) with copies of `sock`, `stderr_fd` and
// `bitcode_fd`. pid -1 when there is no server (it could not start, or just died; a dead one is
// replaced at the next call): the caller forks the worker itself. The worker runs
// worker_main_from_bitcode (worker_main.h).
ForkedWorker fork_server_spawn(int sock, int stderr_fd, int bitcode_fd);

// The server's loop on its control socket `ctrl` (cr1-fork-server's main, or a forked caller).
[[noreturn]] void run_fork_server(int ctrl);

// The server's pid (-1 before it started or after it died); for fault-injection tests.
pid_t fork_server_pid();

// Reads a status_fd: the waitpid status, or -1 when none came within `timeout_ms`.
int read_worker_status(int status_fd, int timeout_ms);

}  // namespace cr1::env
