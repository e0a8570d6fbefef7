// The utilisation figure of an evaluation run, from its CPU time (util/process_cpu_time.h:
// worker processes are children, so their time shows up once the pool has reaped them).
#pragma once

namespace cr1::eval {

// CPU seconds / (wall seconds * cores); 0 when wall or cores is 0.
double cpu_utilisation(double cpu_seconds, double wall_seconds, int cores);

}  // namespace cr1::eval
