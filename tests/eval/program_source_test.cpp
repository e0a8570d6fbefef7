#include "eval/program_source.h"

#include <gtest/gtest.h>
#include <llvm/IR/Module.h>

#include "data/manifest.h"
#include "test_support.h"

namespace cr1::eval {
namespace {

TEST(ProgramSource, PlainFolderIsOneSuiteWithDatasetUris) {
  auto p = collect_programs({test::source_dir() / "data" / "sample"});
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->size(), 6u);
  EXPECT_EQ((*p)[0].suite, "sample");
  EXPECT_EQ((*p)[0].uri.rfind("dir://sample/", 0), 0u);
  // Two folders are two suites; a folder given twice counts once.
  auto two = collect_programs({test::source_dir() / "data/sample/numeric", test::source_dir() / "data/sample/strings",
                               test::source_dir() / "data/sample/numeric"});
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 4u);
  EXPECT_EQ(two->back().suite, "strings");
  auto prog = (*two)[0].load();
  ASSERT_TRUE(prog.ok()) << prog.error().message;
  EXPECT_GT(prog->module->getInstructionCount(), 0u);
}

TEST(ProgramSource, CorpusRecordsFilteredBySplit) {
  test::TempDir dir;
  auto corpus = dir.path / "corpus";
  auto m = data::Manifest::open(corpus);
  ASSERT_TRUE(m.ok());
  auto prog = test::load_or_die(test::source_dir() / "data/sample/numeric/primes.c");
  ASSERT_TRUE(ir::write_module(*prog.module, corpus / "programs" / "primes.bc").ok());
  data::ProgramRecord r;
  r.uri = "dir://x/primes.c";
  r.suite = "x";
  r.split = data::Split::test;
  r.status = data::RecordStatus::ok;
  r.ir_hash = "h1";
  r.path = "programs/primes.bc";
  ASSERT_TRUE(m->append(r).ok());
  r.uri = "dir://x/failed.c";
  r.status = data::RecordStatus::failed;
  r.path.clear();
  ASSERT_TRUE(m->append(r).ok());

  auto all = collect_programs({corpus});
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 1u);  // ok records only
  EXPECT_EQ((*all)[0].suite, "x");
  EXPECT_TRUE((*all)[0].load().ok());
  auto by_manifest = collect_programs({corpus / "manifest.jsonl"}, data::Split::test);
  ASSERT_TRUE(by_manifest.ok());
  EXPECT_EQ(by_manifest->size(), 1u);
  auto train = collect_programs({corpus}, data::Split::train);
  ASSERT_FALSE(train.ok());
  EXPECT_NE(train.error().message.find("no programs in split 'train'"), std::string::npos);
}

TEST(ProgramSource, SamplePerSuiteIsEvenAndKeepsOrder) {
  std::vector<EvalProgram> all;
  for (int i = 0; i < 10; ++i) all.push_back({.uri = "a" + std::to_string(i), .suite = "a"});
  for (int i = 0; i < 3; ++i) all.push_back({.uri = "b" + std::to_string(i), .suite = "b"});
  auto some = sample_per_suite(all, 4);
  std::vector<std::string> uris;
  for (const auto& p : some) uris.push_back(p.uri);
  // Suite a: indices 0, 2, 5, 7 (k * 10 / 4); suite b has fewer than 4, so all of it.
  EXPECT_EQ(uris, (std::vector<std::string>{"a0", "a2", "a5", "a7", "b0", "b1", "b2"}));
  EXPECT_TRUE(sample_per_suite(all, 0).empty());
}

TEST(ProgramSource, BadSuites) {
  test::TempDir dir;
  auto missing = collect_programs({dir.path / "nope"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("nope"), std::string::npos);
  auto empty = collect_programs({dir.path});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("no .c"), std::string::npos);
  auto split = collect_programs({test::source_dir() / "data/sample"}, data::Split::test);
  ASSERT_FALSE(split.ok());
  EXPECT_NE(split.error().message.find("--split needs a corpus"), std::string::npos);
  EXPECT_FALSE(collect_programs({}).ok());
}

}  // namespace
}  // namespace cr1::eval
