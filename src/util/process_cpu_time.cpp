#include "util/process_cpu_time.h"

#include <sys/resource.h>

#include <mutex>
#include <vector>

namespace cr1 {
namespace {

double seconds(const rusage& u) {
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

std::mutex g_mu;
std::vector<double (*)()> g_sources;

}  // namespace

void add_children_cpu_source(double (*source)()) {
  std::lock_guard lock(g_mu);
  g_sources.push_back(source);
}

ProcessCpuTime process_cpu_time_now() {
  rusage self{}, children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  ProcessCpuTime t{seconds(self), seconds(children)};
  std::vector<double (*)()> sources;
  {
    std::lock_guard lock(g_mu);
    sources = g_sources;
  }
  for (auto* source : sources) t.children_seconds += source();
  return t;
}

}  // namespace cr1
