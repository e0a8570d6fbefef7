// End-to-end tests of `compiler-r1 dataset`.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace cr1 {
namespace {

SubprocessResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), CR1_CLI_PATH);
  return run_subprocess(args, std::chrono::seconds(300));
}

TEST(CliDataset, BuildListStats) {
  test::TempDir dir;
  auto out = (dir.path / "corpus").string();
  auto sample = (test::source_dir() / "data" / "sample").string();
  auto b = cli({"dataset", "build", "--from", sample, "--out", out, "-j", "2", "--all-levels"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(b.out.find("6 ok"), std::string::npos) << b.out;

  auto again = cli({"dataset", "build", "--from", sample, "--out", out});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("6 already done"), std::string::npos) << again.out;

  auto list = cli({"dataset", "list", out});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 6);
  EXPECT_NE(list.out.find("dir://sample/strings/rle.c"), std::string::npos);

  auto stats = cli({"dataset", "stats", out, "--json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  auto j = nlohmann::json::parse(stats.out);
  EXPECT_EQ(j["programs"], 6);
  EXPECT_EQ(j["suites"]["sample"]["ok"], 6);
  EXPECT_EQ(j["headroom"]["programs_with_all_levels"], 6);
  size_t in_hist = 0;
  for (auto& bin : j["size_histogram"]) in_hist += bin["programs"].get<size_t>();
  EXPECT_EQ(in_hist, 6u);
  auto text = cli({"dataset", "stats", out});
  EXPECT_NE(text.out.find("size (IR instructions)"), std::string::npos);
}

// Several sources into one corpus, with CPU time per stage at the end.
TEST(CliDataset, SeveralSourcesIntoOneCorpusWithStageTimes) {
  test::TempDir dir;
  auto out = (dir.path / "corpus").string();
  auto sample = test::source_dir() / "data" / "sample";
  auto other = dir.path / "other";
  std::filesystem::create_directories(other);
  std::filesystem::copy_file(sample / "numeric" / "primes.c", other / "primes.c");
  auto b = cli({"dataset", "build", "--from", sample.string() + "," + other.string(), "--out", out, "-j", "2"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(b.out.find("6 ok, 0 filtered, 1 duplicate"), std::string::npos) << b.out;  // other/primes.c
  EXPECT_NE(b.out.find("CPU time per stage"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("sample compile"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("sample measure"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("load average"), std::string::npos) << b.out;
  auto j = nlohmann::json::parse(cli({"dataset", "stats", out, "--json"}).out);
  EXPECT_EQ(j["suites"]["sample"]["ok"], 6);
  EXPECT_EQ(j["suites"]["other"]["duplicate"], 1);
  auto bad = cli({"dataset", "build", "--from", sample.string() + ",", "--out", out});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--from"), std::string::npos) << bad.err;
}

TEST(CliDataset, BadInput) {
  test::TempDir dir;
  auto out = (dir.path / "c").string();
  auto r = cli({"dataset", "build", "--from", "/nonexistent/folder", "--out", out});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/folder"), std::string::npos);
  r = cli({"dataset", "build", "--from", "csmith", "--seeds", "9-x", "--out", out});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--seeds"), std::string::npos);
  r = cli({"dataset", "stats", dir.path.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a corpus"), std::string::npos);
  r = cli({"dataset", "list", dir.path.string(), "--split", "dev"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace cr1

namespace cr1 {
namespace {

// The Debian path end to end on one small package: fetch, unpack, compile
// every TU, link whole programs. Needs deb-src lines and Debian's mirror.
TEST(CliDataset, DebianPackageEndToEnd) {
  test::TempDir dir;
  auto out = (dir.path / "corpus").string();
  auto cache = (dir.path / "cache").string();
  auto r = cli({"dataset", "build", "--from", "debian", "--only", "bzip2", "--cache-dir", cache, "--out", out, "-j", "2"});
  if (r.err.find("not prepared") != std::string::npos && r.out.find(" 0 ok") != std::string::npos)
    GTEST_SKIP() << "no Debian source access (scripts/enable-deb-src.sh; network?): " << tail_lines(r.err, 1);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto stats = nlohmann::json::parse(cli({"dataset", "stats", out, "--json"}).out);
  EXPECT_GE(stats["suites"]["debian"]["ok"].get<int>(), 5);  // bzip2's TUs
  EXPECT_TRUE(stats["suites"].contains("debian-whole"));     // bzip2, bzip2recover
  // The whole package is in one split.
  EXPECT_EQ(stats["splits"].size(), 1u);
}

}  // namespace
}  // namespace cr1
