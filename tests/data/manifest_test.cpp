#include "data/manifest.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_support.h"

namespace cr1::data {
namespace {

ProgramRecord ok_record(const std::string& uri, const std::string& hash) {
  ProgramRecord r;
  r.uri = uri;
  r.suite = "s";
  r.package = "p";
  r.group = "s:p";
  r.status = RecordStatus::ok;
  r.ir_hash = hash;
  r.instruction_count = 100;
  r.oz_instruction_count = 60;
  r.autophase[51] = 100;
  return r;
}

TEST(Manifest, AppendAndReadBack) {
  test::TempDir dir;
  {
    auto m = Manifest::open(dir.path);
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE(m->append(ok_record("a", "h1")).ok());
    ProgramRecord f;
    f.uri = "b";
    f.status = RecordStatus::failed;
    f.reason = "clang failed";
    ASSERT_TRUE(m->append(f).ok());
  }
  auto m = Manifest::read(dir.path);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->records().size(), 2u);
  EXPECT_TRUE(m->has_uri("a"));
  EXPECT_TRUE(m->has_uri("b"));
  EXPECT_EQ(m->records()[0].autophase[51], 100);
  EXPECT_EQ(m->records()[0].oz_instruction_count, 60u);
  EXPECT_EQ(m->records()[1].reason, "clang failed");
  EXPECT_EQ(m->count(RecordStatus::ok), 1u);
}

TEST(Manifest, DuplicateHashBecomesDuplicate) {
  test::TempDir dir;
  auto m = Manifest::open(dir.path);
  ASSERT_TRUE(m->append(ok_record("a", "same")).ok());
  ASSERT_TRUE(m->append(ok_record("b", "same")).ok());
  EXPECT_EQ(m->records()[1].status, RecordStatus::duplicate);
  EXPECT_NE(m->records()[1].reason.find("a"), std::string::npos);
  EXPECT_EQ(m->count(RecordStatus::ok), 1u);
}

TEST(Manifest, TornLastLineIsSkipped) {
  test::TempDir dir;
  {
    auto m = Manifest::open(dir.path);
    ASSERT_TRUE(m->append(ok_record("a", "h1")).ok());
  }
  std::ofstream(dir.path / "manifest.jsonl", std::ios::app) << "{\"uri\": \"b\", \"sta";
  auto m = Manifest::read(dir.path);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->records().size(), 1u);
  EXPECT_EQ(m->torn_lines(), 1u);
  EXPECT_FALSE(m->has_uri("b"));
}

TEST(Manifest, ReadingANonCorpusIsAnError) {
  test::TempDir dir;
  auto m = Manifest::read(dir.path);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, ErrorKind::not_found);
}

}  // namespace
}  // namespace cr1::data
