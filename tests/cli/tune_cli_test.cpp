// End-to-end tests of `compiler-r1 tune`, the main job.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace cr1 {
namespace {

SubprocessResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), CR1_CLI_PATH);
  return run_subprocess(args, std::chrono::seconds(300));
}

TEST(CliTune, WritesVerifiedModuleNeverWorseThanOz) {
  test::TempDir dir;
  auto out = dir.path / "w.opt.bc";
  auto r = cli({"tune", test::example("wordfreq.c").string(), "-o", out.string(), "--method", "ga", "--budget-evals",
                "40", "--budget-seconds", "60", "-j", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_LE(j["instruction_count"].get<long>(), j["oz_instruction_count"].get<long>());
  EXPECT_GE(j["over_oz_percent"].get<double>(), 0.0);
  EXPECT_EQ(j["evaluations"], 40);
  // The written module has the reported count, and opt agrees with the printed pipeline.
  auto back = test::load_or_die(out);
  EXPECT_EQ(static_cast<long>(back.module->getInstructionCount()), j["instruction_count"].get<long>());
  auto prog = test::load_or_die(test::example("wordfreq.c"));
  ASSERT_TRUE(ir::write_module(*prog.module, dir.path / "in.bc").ok());
  EXPECT_EQ(test::opt_count(dir.path / "in.bc", j["pipeline"]), j["instruction_count"].get<long>());
}

TEST(CliTune, TextOutputAndDefaultOutputName) {
  test::TempDir dir;
  auto src = dir.path / "prog.c";
  std::filesystem::copy_file(test::source_dir() / "data/sample/numeric/fixedpoint.c", src);
  auto r = run_subprocess({"sh", "-c", "cd " + dir.path.string() + " && " + CR1_CLI_PATH +
                                           " tune prog.c --budget-evals 30 --budget-seconds 60 -j 2"},
                          std::chrono::seconds(300));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"base", "-Oz", "tuned", "OverOz", "sequence", "pipeline   opt -passes='", "time"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path / "prog.opt.bc"));
}

TEST(CliTune, BadInput) {
  test::TempDir dir;
  auto r = cli({"tune", test::example("matrix.c").string(), "--method", "magic", "-o", (dir.path / "o.bc").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown method 'magic'"), std::string::npos) << r.err;
  r = cli({"tune", "/nonexistent.c"});
  EXPECT_EQ(r.exit_code, 2);
  r = cli({"tune", test::example("matrix.c").string(), "-o", "/nonexistent/dir/o.bc"});
  EXPECT_EQ(r.exit_code, 2);
  r = cli({"tune", test::example("matrix.c").string(), "--actions", "huge", "-o", (dir.path / "o.bc").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path));
}

}  // namespace
}  // namespace cr1
