#include "eval/cpu_usage.h"

namespace cr1::eval {

double cpu_utilisation(double cpu_seconds, double wall_seconds, int cores) {
  if (wall_seconds <= 0 || cores <= 0) return 0;
  return cpu_seconds / (wall_seconds * cores);
}

}  // namespace cr1::eval
