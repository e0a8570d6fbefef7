// The agent's tools on bundled programs: answers equal to the env's, percent
// units, and an error naming the cause for every kind of bad call.
#include "agent/toolbox.h"

#include <unistd.h>

#include <cmath>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "agent/program_root.h"
#include "env/session.h"
#include "search/synergy/synergy_graph.h"
#include "test_support.h"

namespace cr1::agent {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A program root with the two examples, a file outside it and a link out.
struct Fixture {
  test::TempDir outer;
  fs::path root;
  Fixture() {
    root = outer.path / "root";
    fs::create_directories(root / "sub");
    fs::copy_file(test::example("matrix.c"), root / "matrix.c");
    fs::copy_file(test::example("wordfreq.c"), root / "sub" / "wordfreq.c");
    outer.file("secret.c", "int secret(void) { return 42; }\n");
    fs::create_symlink(outer.path / "secret.c", root / "link-out.c");
    fs::create_symlink(root / "matrix.c", root / "link-in.c");
    std::ofstream(root / "broken.ll") << "this is not IR\n";
  }
};

fs::path graph_file(const test::TempDir& dir) {
  search::synergy::SynergyGraph g;
  g.add("sroa", "instcombine", 3);
  g.add("instcombine", "simplifycfg", 2);
  g.add("simplifycfg", "early-cse-memssa", 2);
  g.add("early-cse-memssa", "instcombine", 4);
  g.add("mem2reg", "gvn", 1);
  g.add("gvn", "instcombine", 2);
  g.add("instcombine", "dce", 1);
  auto p = dir.path / "graph.tsv";
  EXPECT_TRUE(g.save(p).ok());
  return p;
}

class ToolboxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fx_ = new Fixture();
    graph_dir_ = new test::TempDir();
    ToolboxOptions o;
    o.program_root = fx_->root;
    o.synergy_graph = graph_file(*graph_dir_);
    o.fbps_max_evaluations = 60;
    o.jobs = 2;
    auto tb = Toolbox::open(o);
    ASSERT_TRUE(tb) << tb.error().message;
    tb_ = tb->release();
  }
  static void TearDownTestSuite() {
    delete tb_;
    delete graph_dir_;
    delete fx_;
  }
  static void expect_error(const json& r, const std::string& needle) {
    EXPECT_EQ(r.value("status", ""), "error") << r.dump();
    ASSERT_TRUE(r.contains("error") && r["error"].is_string()) << r.dump();
    EXPECT_NE(r["error"].get<std::string>().find(needle), std::string::npos) << r.dump();
    EXPECT_FALSE(r.contains("instruction_count")) << r.dump();
  }
  static Fixture* fx_;
  static test::TempDir* graph_dir_;
  static Toolbox* tb_;
};
Fixture* ToolboxTest::fx_ = nullptr;
test::TempDir* ToolboxTest::graph_dir_ = nullptr;
Toolbox* ToolboxTest::tb_ = nullptr;

TEST_F(ToolboxTest, InstrcountEqualsTheEnvInPercent) {
  auto prog = test::load_or_die(test::example("matrix.c"));
  auto session = env::Session::create(std::move(prog), {.pool = {.jobs = 1}});
  ASSERT_TRUE(session);
  const char* flags = "--sroa --instcombine --simplifycfg --gvn";
  auto seq = ir::parse_sequence(flags);
  ASSERT_TRUE(seq);
  auto want = (*session)->evaluate(*seq);
  ASSERT_TRUE(want.ok());
  uint64_t oz = *(*session)->oz_count();

  json r = tb_->call("instrcount", {{"filename", "matrix.c"},
                                    {"optimization_flags", {"--sroa", "--instcombine", "--simplifycfg", "--gvn"}}});
  ASSERT_EQ(r["status"], "success") << r.dump();
  EXPECT_EQ(r["filename"], "matrix.c");
  EXPECT_EQ(r["instruction_count"].get<uint64_t>(), want.instruction_count);
  EXPECT_EQ(r["oz_instruction_count"].get<uint64_t>(), oz);
  double pct = 100.0 * (double(oz) - double(want.instruction_count)) / double(oz);
  EXPECT_NEAR(r["improvement_over_oz"].get<double>(), pct, 1e-3);
  // Percent, not a fraction: this sequence is far from -Oz either way.
  EXPECT_GT(std::abs(r["improvement_over_oz"].get<double>()), 1.0) << r.dump();

  // The same through the C++ API with one string, and -Oz itself is 0%.
  json s = tb_->instrcount("matrix.c", flags);
  EXPECT_EQ(s["instruction_count"], r["instruction_count"]);
  json z = tb_->call("instrcount", {{"filename", "matrix.c"}, {"optimization_flags", {"-Oz"}}});
  ASSERT_EQ(z["status"], "success") << z.dump();
  EXPECT_EQ(z["instruction_count"].get<uint64_t>(), oz);
  EXPECT_EQ(z["improvement_over_oz"].get<double>(), 0.0);
}

TEST_F(ToolboxTest, ArgumentsAsAJsonStringAndFilesInSubfolders) {
  json r = tb_->call("instrcount", json(R"({"filename":"sub/wordfreq.c","optimization_flags":["--mem2reg"]})"));
  ASSERT_EQ(r["status"], "success") << r.dump();
  EXPECT_GT(r["instruction_count"].get<uint64_t>(), 0u);
  // A link that stays inside the root is fine.
  json l = tb_->call("instrcount", {{"filename", "link-in.c"}, {"optimization_flags", {"--mem2reg"}}});
  ASSERT_EQ(l["status"], "success") << l.dump();
  // As is an absolute path inside the root.
  json a = tb_->call("instrcount",
                     {{"filename", (fx_->root / "matrix.c").string()}, {"optimization_flags", {"--mem2reg"}}});
  ASSERT_EQ(a["status"], "success") << a.dump();
  EXPECT_EQ(a["instruction_count"], l["instruction_count"]);
}

TEST_F(ToolboxTest, BadArgumentsOfEveryKind) {
  json flags = {"--sroa"};
  expect_error(tb_->call("instrcount", {{"filename", "matrix.c"}, {"optimization_flags", {"--no-such-pass"}}}),
               "no-such-pass");
  expect_error(tb_->call("instrcount", {{"filename", "matrix.c"}, {"optimization_flags", {"--sroa", "bogus(x)"}}}),
               "bogus");
  expect_error(tb_->call("instrcount", {{"filename", "matrix.c"}, {"optimization_flags", json::array()}}), "empty");
  expect_error(tb_->call("instrcount", {{"filename", "missing.c"}, {"optimization_flags", flags}}), "no such file");
  expect_error(tb_->call("instrcount", {{"filename", "broken.ll"}, {"optimization_flags", flags}}), "broken.ll");
  expect_error(tb_->call("instrcount", {{"filename", "sub"}, {"optimization_flags", flags}}), "not a regular file");
  expect_error(tb_->call("instrcount", {{"filename", ""}, {"optimization_flags", flags}}), "empty");
  expect_error(tb_->call("instrcount", {{"filename", 7}, {"optimization_flags", flags}}), "'filename' must be a string");
  expect_error(tb_->call("instrcount", {{"filename", "matrix.c"}, {"optimization_flags", 3}}), "list of strings");
  expect_error(tb_->call("instrcount", {{"filename", "matrix.c"}, {"optimization_flags", {"--sroa", 3}}}),
               "list of strings");
  expect_error(tb_->call("instrcount", {{"filename", "matrix.c"}}), "missing argument 'optimization_flags'");
  expect_error(tb_->call("instrcount", {{"optimization_flags", flags}}), "missing argument 'filename'");
  expect_error(tb_->call("instrcount", {{"filename", "matrix.c"}, {"optimization_flags", flags}, {"x", 1}}),
               "unknown argument 'x'");
  expect_error(tb_->call("instrcount", json::array({"matrix.c"})), "must be a JSON object");
  expect_error(tb_->call("instrcount", json("{not json")), "not valid JSON");
  expect_error(tb_->call("find_best_pass_sequence", json::object()), "missing argument 'filename'");
  expect_error(tb_->call("find_best_pass_sequence", {{"filename", false}}), "must be a string");
  expect_error(tb_->call("no_such_tool", {{"filename", "matrix.c"}}), "unknown tool 'no_such_tool'");
}

TEST_F(ToolboxTest, PathsThatEscapeTheRootAreRefused) {
  json flags = {"--sroa"};
  // The targets exist: refused for where they are, not for being missing.
  expect_error(tb_->call("instrcount", {{"filename", "../secret.c"}, {"optimization_flags", flags}}), "outside");
  expect_error(tb_->call("instrcount", {{"filename", "sub/../../secret.c"}, {"optimization_flags", flags}}), "outside");
  expect_error(tb_->call("instrcount", {{"filename", (fx_->outer.path / "secret.c").string()}, {"optimization_flags", flags}}),
               "outside");
  expect_error(tb_->call("instrcount", {{"filename", "/etc/passwd"}, {"optimization_flags", flags}}), "outside");
  expect_error(tb_->call("instrcount", {{"filename", "link-out.c"}, {"optimization_flags", flags}}), "outside");
  expect_error(tb_->call("find_best_pass_sequence", {{"filename", "link-out.c"}}), "outside");
  expect_error(tb_->call("find_best_pass_sequence", {{"filename", "../secret.c"}}), "outside");
}

TEST_F(ToolboxTest, CrashIsAnErrorNotACount) {
  // LICM without MemorySSA is a fatal LLVM error on any loop (see worker_pool_test).
  json r = tb_->call("instrcount", {{"filename", "matrix.c"}, {"optimization_flags", {"function(loop(licm))"}}});
  expect_error(r, "crashed");
  EXPECT_NE(r["error"].get<std::string>().find("MemorySSA"), std::string::npos) << r.dump();
  // The program is still served afterwards.
  json ok = tb_->call("instrcount", {{"filename", "matrix.c"}, {"optimization_flags", {"--sroa"}}});
  EXPECT_EQ(ok["status"], "success") << ok.dump();
}

TEST(Toolbox, TimeoutIsAnError) {
  test::TempDir dir;
  dir.file("big.c", test::big_c_program(150));
  ToolboxOptions o;
  o.program_root = dir.path;
  o.timeout_seconds = 0.03;
  o.jobs = 1;
  auto tb = Toolbox::open(o);
  ASSERT_TRUE(tb) << tb.error().message;
  std::vector<std::string> slow(20, "-O3");
  json r = (*tb)->call("instrcount", {{"filename", "big.c"}, {"optimization_flags", slow}});
  // -Oz itself may already run out of time on a loaded machine: either way an error, never a count.
  EXPECT_EQ(r["status"], "error") << r.dump();
  std::string e = r.value("error", "");
  EXPECT_TRUE(e.find("time limit") != std::string::npos || e.find("timeout") != std::string::npos) << e;
}

TEST_F(ToolboxTest, FindBestPassSequenceIsRealAndRepeatable) {
  json r = tb_->call("find_best_pass_sequence", {{"filename", "matrix.c"}});
  ASSERT_EQ(r["status"], "success") << r.dump();
  auto seq = r["best_pass_sequence"].get<std::vector<std::string>>();
  ASSERT_FALSE(seq.empty());
  EXPECT_LE(r["evaluations"].get<size_t>(), 60u);
  // Its claim holds when the sequence is counted by instrcount.
  json c = tb_->call("instrcount", {{"filename", "matrix.c"}, {"optimization_flags", seq}});
  ASSERT_EQ(c["status"], "success") << c.dump();
  EXPECT_EQ(c["instruction_count"], r["instruction_count"]);
  EXPECT_EQ(c["improvement_over_oz"], r["improvement_over_oz"]);
  // Same seed, same answer.
  EXPECT_EQ(tb_->call("find_best_pass_sequence", {{"filename", "matrix.c"}}), r);
}

TEST_F(ToolboxTest, ConcurrentCallsAreAllCorrect) {
  std::vector<std::vector<std::string>> seqs = {{"--sroa"}, {"--mem2reg", "--instcombine"}, {"-Oz"}, {"--gvn"}};
  std::vector<json> want;
  for (auto& s : seqs) want.push_back(tb_->call("instrcount", {{"filename", "matrix.c"}, {"optimization_flags", s}}));
  std::vector<std::future<bool>> calls;
  for (int i = 0; i < 24; ++i)
    calls.push_back(std::async(std::launch::async, [&, i] {
      size_t k = static_cast<size_t>(i) % seqs.size();
      json r = tb_->call("instrcount", {{"filename", "matrix.c"}, {"optimization_flags", seqs[k]}});
      return r == want[k];
    }));
  for (auto& c : calls) EXPECT_TRUE(c.get());
}

TEST(Toolbox, SchemasNameBothTools) {
  json s = Toolbox::schemas();
  ASSERT_TRUE(s.is_array());
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0]["function"]["name"], "instrcount");
  EXPECT_EQ(s[0]["function"]["parameters"]["required"], json({"filename", "optimization_flags"}));
  EXPECT_EQ(s[1]["function"]["name"], "find_best_pass_sequence");
  EXPECT_EQ(s[1]["type"], "function");
}

TEST(Toolbox, OpenRefusesABadRootOrGraph) {
  ToolboxOptions o;
  o.program_root = "/no/such/root";
  EXPECT_FALSE(Toolbox::open(o));
  test::TempDir dir;
  o.program_root = dir.path;
  o.synergy_graph = dir.file("g.tsv", "a\tb\tnot-a-number\n");
  auto tb = Toolbox::open(o);
  ASSERT_FALSE(tb);
  EXPECT_NE(tb.error().message.find("g.tsv:1"), std::string::npos) << tb.error().message;
}

TEST(ProgramRoot, ResolvesInsideOnly) {
  test::TempDir dir;
  fs::create_directories(dir.path / "r");
  dir.file("r/a.c", "int a;");
  auto root = ProgramRoot::open(dir.path / "r");
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->resolve("a.c"));
  EXPECT_TRUE(root->resolve("./a.c"));
  // A sibling folder whose name starts like the root's is still outside.
  fs::create_directories(dir.path / "rx");
  dir.file("rx/b.c", "int b;");
  auto sib = root->resolve("../rx/b.c");
  ASSERT_FALSE(sib);
  EXPECT_EQ(sib.error().kind, ErrorKind::invalid_input);
  auto missing = root->resolve("nope.c");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

}  // namespace
}  // namespace cr1::agent
