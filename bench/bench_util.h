// Small measuring helpers shared by the benchmarks: what else ran on the machine (load average), this
// process's CPU time, and the median of repeated timings.
#pragma once

#include <time.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

namespace cr1::bench {

// The 1, 5 and 15 minute load averages: printed beside every figure, since these machines are shared.
inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// CPU seconds of this process (all its threads) so far.
inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// The median; 0 for no values.
inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace cr1::bench
