// CPU time of this process and its children, for the utilisation figure of an
// evaluation run: worker processes are children, so their time shows up in
// RUSAGE_CHILDREN once the pool has reaped them.
#pragma once

#include "util/process_cpu_time.h"

namespace cr1::eval {

using CpuTimes = ProcessCpuTime;
inline CpuTimes cpu_times_now() { return process_cpu_time_now(); }

// CPU seconds / (wall seconds * cores); 0 when wall or cores is 0.
double cpu_utilisation(double cpu_seconds, double wall_seconds, int cores);

}  // namespace cr1::eval
