#include "model/cpu_allocation.h"

#include <cstdlib>  // defines __GLIBC__ under glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cr1::model {

namespace {

// glibc's largest mmap threshold on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX, mallopt(3)): blocks below it
// come from the heap. Trimming waits for this much free memory at the heap's top.
constexpr int kMmapThreshold = 32 << 20;
constexpr int kTrimThreshold = 256 << 20;

}  // namespace

bool keep_cpu_allocations() {
#if defined(__GLIBC__)
  static const bool done = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
  return done;
#else
  return false;
#endif
}

}  // namespace cr1::model
