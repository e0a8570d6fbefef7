#include "data/splits.h"

#include <fmt/format.h>

namespace cr1::data {

Split split_of_group(const std::string& group) {
  // FNV-1a: stable across platforms and library versions (std::hash is not).
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : group) {
    h ^= c;
    h *= 1099511628211ull;
  }
  uint64_t bucket = h % 100;
  if (bucket < 80) return Split::train;
  if (bucket < 90) return Split::valid;
  return Split::test;
}

std::string seed_group(const std::string& generator, uint64_t seed) {
  uint64_t lo = seed / kSeedBlock * kSeedBlock;
  return fmt::format("{}:{}-{}", generator, lo, lo + kSeedBlock - 1);
}

}  // namespace cr1::data
