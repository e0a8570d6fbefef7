// CPU time of this process and its children, for the utilisation figure of an
// evaluation run: worker processes are children, so their time shows up in
// RUSAGE_CHILDREN once the pool has reaped them.
#pragma once

namespace cr1::eval {

struct CpuTimes {
  double self_seconds = 0;      // user + system of this process
  double children_seconds = 0;  // user + system of reaped children
  double total() const { return self_seconds + children_seconds; }
};

CpuTimes cpu_times_now();

// CPU seconds / (wall seconds * cores); 0 when wall or cores is 0.
double cpu_utilisation(double cpu_seconds, double wall_seconds, int cores);

}  // namespace cr1::eval
