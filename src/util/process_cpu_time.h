// CPU time (user + system, from getrusage) of this process and of the children it has
// waited for: the children are where corpus jobs and evaluation workers run.
#pragma once

namespace cr1 {

struct ProcessCpuTime {
  double self_seconds = 0;      // this process
  double children_seconds = 0;  // its reaped children
  double total() const { return self_seconds + children_seconds; }
};

ProcessCpuTime process_cpu_time_now();

// Adds to children_seconds the CPU time of processes that work for this one but are not its
// waited-for children (env's fork server and the workers it forks and reaps); `source` returns
// their seconds so far. Thread-safe.
void add_children_cpu_source(double (*source)());

}  // namespace cr1
