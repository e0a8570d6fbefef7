#include "util/process_cpu_time.h"

#include <sys/resource.h>

namespace cr1 {
namespace {

double seconds(const rusage& u) {
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

}  // namespace

ProcessCpuTime process_cpu_time_now() {
  rusage self{}, children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  return {seconds(self), seconds(children)};
}

}  // namespace cr1
