// Reaping killed worker processes later instead of waiting for them to die.
//
// Why: a worker forked from a big process (libtorch and a model loaded) takes several milliseconds
// to tear down its address space after SIGKILL; waiting for that in waitpid put those milliseconds on
// the caller's path (e.g. at the end of every answer verification). A killed child is certain to die,
// so the caller hands its pid here and goes on; the zombie is collected at a later call.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace cr1::env {

// Takes over `pid` (already sent SIGKILL, or about to exit): it is reaped by a later reap_exited().
void reap_later(pid_t pid);

// Collects those handed over that have exited (never blocks); returns how many are still pending.
size_t reap_exited();

}  // namespace cr1::env
