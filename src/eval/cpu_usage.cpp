#include "eval/cpu_usage.h"

#include <sys/resource.h>

namespace cr1::eval {
namespace {

double seconds_of(const rusage& u) {
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

}  // namespace

CpuTimes cpu_times_now() {
  rusage self{}, children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  return {seconds_of(self), seconds_of(children)};
}

double cpu_utilisation(double cpu_seconds, double wall_seconds, int cores) {
  if (wall_seconds <= 0 || cores <= 0) return 0;
  return cpu_seconds / (wall_seconds * cores);
}

}  // namespace cr1::eval
