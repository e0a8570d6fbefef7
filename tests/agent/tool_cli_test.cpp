// `compiler-r1 tool` and `compiler-r1 tools schema` end to end.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/toolbox.h"
#include "test_support.h"

namespace cr1::agent {
namespace {

using nlohmann::json;

TEST(ToolCli, InstrcountAndItsErrors) {
  test::TempDir dir;
  std::filesystem::copy_file(test::example("matrix.c"), dir.path / "matrix.c");
  auto ok = run_subprocess({CR1_CLI_PATH, "tool", "instrcount", "--root", dir.path.string(), "-j", "1", "--args",
                            R"({"filename":"matrix.c","optimization_flags":["-Oz"]})"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  json j = json::parse(ok.out);
  EXPECT_EQ(j["status"], "success");
  EXPECT_EQ(j["instruction_count"], j["oz_instruction_count"]);
  EXPECT_EQ(j["improvement_over_oz"], 0.0);

  // A tool error: the JSON answer on stdout, exit 1, the cause on stderr.
  auto bad = run_subprocess({CR1_CLI_PATH, "tool", "instrcount", "--root", dir.path.string(), "--args",
                             R"({"filename":"../matrix.c","optimization_flags":["--sroa"]})"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(json::parse(bad.out)["status"], "error");
  EXPECT_NE(bad.err.find("outside"), std::string::npos) << bad.err;

  auto not_json = run_subprocess({CR1_CLI_PATH, "tool", "instrcount", "--args", "{oops"});
  EXPECT_EQ(not_json.exit_code, 2);
  EXPECT_NE(not_json.err.find("not valid JSON"), std::string::npos) << not_json.err;
  auto bad_root = run_subprocess({CR1_CLI_PATH, "tool", "instrcount", "--root", "/no/such", "--args", "{}"});
  EXPECT_EQ(bad_root.exit_code, 2);
  EXPECT_NE(bad_root.err.find("/no/such"), std::string::npos) << bad_root.err;
}

TEST(ToolCli, FindBestPassSequenceWithAGraph) {
  test::TempDir dir;
  std::filesystem::copy_file(test::example("matrix.c"), dir.path / "matrix.c");
  auto graph = dir.file("g.tsv", "sroa\tinstcombine\t2\ninstcombine\tsimplifycfg\t1\nsimplifycfg\tsroa\t1\n");
  auto r = run_subprocess({CR1_CLI_PATH, "tool", "find_best_pass_sequence", "--root", dir.path.string(), "--graph",
                           graph.string(), "--fbps-evaluations", "30", "-j", "2", "--args", R"({"filename":"matrix.c"})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["status"], "success");
  EXPECT_FALSE(j["best_pass_sequence"].empty());
  EXPECT_LE(j["evaluations"].get<int>(), 30);
  EXPECT_TRUE(j["improvement_over_oz"].is_number());
}

TEST(ToolCli, SchemaCommand) {
  auto r = run_subprocess({CR1_CLI_PATH, "tools", "schema"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), Toolbox::schemas());
}

}  // namespace
}  // namespace cr1::agent
