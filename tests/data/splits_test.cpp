#include "data/splits.h"

#include <gtest/gtest.h>

#include <map>

namespace cr1::data {
namespace {

TEST(Splits, DeterministicAndRoughly80_10_10) {
  std::map<Split, int> n;
  for (int i = 0; i < 5000; ++i) {
    std::string g = "debian:pkg" + std::to_string(i);
    EXPECT_EQ(split_of_group(g), split_of_group(g));
    n[split_of_group(g)]++;
  }
  EXPECT_NEAR(n[Split::train], 4000, 200);
  EXPECT_NEAR(n[Split::valid], 500, 120);
  EXPECT_NEAR(n[Split::test], 500, 120);
}

TEST(Splits, KnownValuesAreStable) {
  // Pinned so that a change of hash function (which would move programs
  // between splits and leak) fails loudly.
  EXPECT_EQ(split_name(split_of_group("debian:bzip2")), std::string(split_name(split_of_group("debian:bzip2"))));
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : std::string("debian:zlib")) {
    h ^= c;
    h *= 1099511628211ull;
  }
  Split expected = h % 100 < 80 ? Split::train : h % 100 < 90 ? Split::valid : Split::test;
  EXPECT_EQ(split_of_group("debian:zlib"), expected);
}

TEST(Splits, SeedBlocksKeepNeighboursTogether) {
  EXPECT_EQ(seed_group("csmith", 0), "csmith:0-99");
  EXPECT_EQ(seed_group("csmith", 99), "csmith:0-99");
  EXPECT_EQ(seed_group("csmith", 100), "csmith:100-199");
  EXPECT_EQ(split_of_group(seed_group("csmith", 150)), split_of_group(seed_group("csmith", 199)));
}

}  // namespace
}  // namespace cr1::data
