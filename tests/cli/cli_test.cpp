// End-to-end tests of the compiler-r1 binary: real files, real LLVM, real opt.
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace cr1 {
namespace {

using json = nlohmann::json;

SubprocessResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), CR1_CLI_PATH);
  return run_subprocess(args, std::chrono::seconds(300));
}

// A bad-input error: exit 2, nothing on stdout, exactly one line on stderr naming `needle`.
void expect_bad_input(const SubprocessResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(CliPasses, ListsCatalogue) {
  auto r = cli({"passes", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["actions"].size(), 117u);
  EXPECT_EQ(j["removed"].size(), 7u);
  EXPECT_EQ(j["actions"][0]["flag"], "--add-discriminators");
  auto text = cli({"passes"});
  EXPECT_NE(text.out.find("function(loop-mssa(licm))"), std::string::npos);
  EXPECT_NE(text.out.find("--loop-unswitch"), std::string::npos);
}

TEST(CliCount, JsonAgreesWithOpt) {
  test::TempDir dir;
  auto r = cli({"count", test::example("wordfreq.c").string(), "--passes=--sroa --gvn --simplifycfg", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  long base = j["base_instruction_count"], oz = j["oz_instruction_count"];
  EXPECT_GT(base, oz);
  EXPECT_EQ(j["baselines"]["Oz"], oz);
  EXPECT_EQ(j["sequence"]["status"], "ok");
  long seq_count = j["sequence"]["instruction_count"];
  double over = j["sequence"]["over_oz_percent"];
  EXPECT_NEAR(over, 100.0 * (oz - seq_count) / oz, 1e-9);
  // Same pipeline text through opt on the same IR gives the same count.
  auto prog = test::load_or_die(test::example("wordfreq.c"));
  ASSERT_TRUE(ir::write_module(*prog.module, dir.path / "w.bc").ok());
  EXPECT_EQ(test::opt_count(dir.path / "w.bc", j["sequence"]["pipeline"]), seq_count);
  EXPECT_EQ(test::opt_count(dir.path / "w.bc", "default<Oz>"), oz);
}

TEST(CliCount, TextOutputShowsPercent) {
  auto r = cli({"count", test::example("matrix.c").string(), "-p", "sroa,instcombine", "-j", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("OverOz"), std::string::npos);
  EXPECT_NE(r.out.find("%"), std::string::npos);
  EXPECT_NE(r.out.find("opt -passes='function(sroa),function(instcombine<no-verify-fixpoint>)'"), std::string::npos);
}

TEST(CliCount, CrashingSequenceExitsOneWithReason) {
  auto r = cli({"count", test::example("matrix.c").string(), "--passes", "function(loop(licm))"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("crashed"), std::string::npos);
  EXPECT_NE(r.err.find("MemorySSA"), std::string::npos);
}

TEST(CliCount, PersistentCache) {
  test::TempDir dir;
  auto db = (dir.path / "c.db").string();
  for (int i = 0; i < 2; ++i) {
    auto r = cli({"count", test::example("matrix.c").string(), "--passes=--sroa", "--cache", db, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_TRUE(std::filesystem::exists(db));
}

TEST(CliFeatures, Json) {
  auto r = cli({"features", test::example("wordfreq.c").string(), "--json", "--instcount"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["autophase"].size(), 56u);
  EXPECT_EQ(j["autophase_vector"].size(), 56u);
  EXPECT_EQ(j["instcount"].size(), 70u);
  EXPECT_EQ(j["autophase"]["TotalInsts"], j["instcount"]["TotalInsts"]);
  auto count = json::parse(cli({"count", test::example("wordfreq.c").string(), "--json"}).out);
  EXPECT_EQ(j["autophase"]["TotalInsts"], count["base_instruction_count"]);
}

TEST(CliApply, WritesModuleOptAgrees) {
  test::TempDir dir;
  auto out = dir.path / "opt.ll";
  auto r = cli({"apply", test::example("matrix.c").string(), "--passes=--mem2reg --licm --gvn", "-o", out.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  auto back = test::load_or_die(out);
  EXPECT_EQ(back.module->getInstructionCount(), j["instruction_count"].get<uint64_t>());
  auto prog = test::load_or_die(test::example("matrix.c"));
  ASSERT_TRUE(ir::write_module(*prog.module, dir.path / "m.bc").ok());
  EXPECT_EQ(test::opt_count(dir.path / "m.bc", j["pipeline"]), j["instruction_count"].get<long>());
  // Text mode prints the opt pipeline.
  auto t = cli({"apply", test::example("matrix.c").string(), "--passes=-Oz", "-o", (dir.path / "oz.bc").string()});
  EXPECT_NE(t.out.find("opt -passes='default<Oz>'"), std::string::npos);
}

TEST(CliBadInput, MissingFile) { expect_bad_input(cli({"count", "/nonexistent/prog.c"}), "/nonexistent/prog.c"); }

TEST(CliBadInput, MalformedIR) {
  test::TempDir dir;
  auto bad = dir.file("bad.ll", "define i32 @f( {\n");
  expect_bad_input(cli({"count", bad.string()}), "bad.ll:2:1: malformed IR");
  expect_bad_input(cli({"features", bad.string()}), "bad.ll");
}

TEST(CliBadInput, UnknownPass) {
  expect_bad_input(cli({"count", test::example("matrix.c").string(), "--passes=--sroa --frobnicate"}), "--frobnicate");
}

TEST(CliBadInput, RemovedPassNamesReplacement) {
  expect_bad_input(cli({"count", test::example("matrix.c").string(), "--passes=--constprop"}), "instsimplify");
}

TEST(CliBadInput, EmptySequence) {
  test::TempDir dir;
  auto out = dir.path / "o.bc";
  expect_bad_input(cli({"apply", test::example("matrix.c").string(), "--passes", " ", "-o", out.string()}),
                   "empty pass sequence");
  expect_bad_input(cli({"apply", test::example("matrix.c").string(), "-o", out.string(), "--passes="}), "--passes");
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(CliBadInput, OutputNotWritable) {
  test::TempDir dir;
  expect_bad_input(cli({"apply", test::example("matrix.c").string(), "--passes=-Oz", "-o", "/nonexistent/dir/o.bc"}),
                   "/nonexistent/dir");
  expect_bad_input(cli({"apply", test::example("matrix.c").string(), "--passes=-Oz", "-o", (dir.path / "o.txt").string()}),
                   ".bc or .ll");
  auto ro = dir.path / "ro";
  std::filesystem::create_directory(ro);
  ::chmod(ro.c_str(), 0555);
  if (::geteuid() != 0) {  // root writes anywhere
    expect_bad_input(cli({"apply", test::example("matrix.c").string(), "--passes=-Oz", "-o", (ro / "o.bc").string()}),
                     "not writable");
  }
  EXPECT_TRUE(std::filesystem::is_empty(ro));
}

TEST(CliBadInput, UnknownFlagAndRecipe) {
  auto r = cli({"count", test::example("matrix.c").string(), "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  expect_bad_input(cli({"count", test::example("matrix.c").string(), "--recipe", "O7"}), "O7");
}

}  // namespace
}  // namespace cr1
