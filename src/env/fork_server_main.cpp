// cr1-fork-server: the fork server (fork_server.h) as its own small program, so that the workers it
// forks copy an address space with LLVM only, not the caller's libtorch and model. Started by the
// first worker pool of a process with its control socket as fd 3; not meant to be run by hand.
#include <sys/stat.h>

#include <cstdio>

#include "env/fork_server.h"

int main() {
  struct stat st;
  if (::fstat(3, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    std::fprintf(stderr, "cr1-fork-server: started by compiler-r1's worker pools (fd 3: their socket)\n");
    return 2;
  }
  cr1::env::run_fork_server(3);
}
