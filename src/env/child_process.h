// What the worker pool and process_map share about their forked children:
// tying a child's life to its parent, and turning how it died into evidence.
#pragma once

#include <sys/types.h>

#include <string>

namespace cr1::env {

// In a freshly forked child: die with the parent (SIGKILL), and exit at once
// if the parent is already gone.
void tie_to_parent(pid_t parent);

// A memfd for the child's stderr (-1 if none can be made).
int make_stderr_capture(const char* name);

// The last `lines` non-empty lines the child wrote to its stderr capture.
std::string captured_stderr_tail(int fd, int lines = 2);

// "signal 11 (Segmentation fault)" or "exit code 3", from a waitpid status.
std::string wait_status_text(int status);

// wait_status_text plus the captured stderr tail, e.g. for a crash message.
std::string death_evidence(int status, int stderr_fd);

}  // namespace cr1::env
