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

}  // namespace cr1
