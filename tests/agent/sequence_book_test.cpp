#include "agent/sequence_book.h"

#include <fstream>

#include <gtest/gtest.h>

#include "test_support.h"

namespace cr1::agent {
namespace {

ir::AutophaseFeatures features(int64_t a, int64_t total) {
  ir::AutophaseFeatures f{};
  f[0] = a;
  f[51] = total;  // TotalInsts
  return f;
}

TEST(SequenceBook, KeepsTheBestEntryPerProgram) {
  SequenceBook b;
  b.add({"p", features(1, 100), {"--gvn"}, 0.01, 0, "x"});
  b.add({"p", features(1, 100), {"--sroa", "--gvn"}, 0.02, 0, "y"});
  b.add({"p", features(1, 100), {"--dce"}, 0.015, 0, "z"});
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b.find("p")->source, "y");
  EXPECT_EQ(b.find("q"), nullptr);
}

TEST(SequenceBook, NearestInNormalizedSpaceSkipsSelfAndLosers) {
  SequenceBook b;
  b.add({"self", features(10, 100), {"--a"}, 0.1, 0, ""});
  b.add({"near", features(11, 100), {"--b"}, 0.1, 0, ""});
  auto mid = features(60, 100);
  mid[1] = 50;
  b.add({"mid", mid, {"--c"}, 0.1, 0, ""});
  b.add({"loser", features(10, 100), {"--d"}, -0.1, 0, ""});
  // Nearly the same proportions at twice the size: nearer than "mid", which differs in two features.
  b.add({"scaled", features(22, 200), {"--e"}, 0.1, 0, ""});
  auto n = b.nearest(features(10, 100), 3, "self");
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[0].entry->uri, "near");
  EXPECT_EQ(n[1].entry->uri, "scaled");
  EXPECT_EQ(n[2].entry->uri, "mid");
  EXPECT_LT(n[0].distance, n[1].distance);
  EXPECT_TRUE(b.nearest(features(10, 100), 5, "self", 0.5).empty());
}

TEST(SequenceBook, FileRoundTripResumesAfterATornLine) {
  cr1::test::TempDir dir;
  auto path = dir.path / "book.jsonl";
  ASSERT_TRUE(append_to_book(path, {"a", features(1, 10), {"--gvn"}, 0.05, 7, "tuner"}).ok());
  ASSERT_TRUE(append_to_book(path, {"b", features(2, 10), {"--dce"}, 0.01, 8, "tuner"}).ok());
  std::ofstream(path, std::ios::app) << "{\"uri\": \"c\", \"autoph";
  auto b = SequenceBook::read(path);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->size(), 2u);
  EXPECT_EQ(b->find("a")->oz_count, 7u);
  EXPECT_EQ(b->find("a")->flags, std::vector<std::string>{"--gvn"});
  auto missing = SequenceBook::read(dir.path / "none.jsonl");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->size(), 0u);
  std::ofstream(dir.path / "bad.jsonl") << "not json\n{}\n";
  EXPECT_FALSE(SequenceBook::read(dir.path / "bad.jsonl").ok());
}

}  // namespace
}  // namespace cr1::agent
