// End-to-end tests of `compiler-r1 eval` and `compiler-r1 report` on the
// bundled sample programs.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "eval/xml_check.h"
#include "test_support.h"

namespace cr1 {
namespace {

SubprocessResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), CR1_CLI_PATH);
  return run_subprocess(args, std::chrono::seconds(300));
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(CliEval, ParallelRunsShareTheWorkers) {
  test::TempDir dir;
  auto sample = (test::source_dir() / "data" / "sample").string();
  auto bad = cli({"eval", "--suite", sample, "--method", "rio", "--budget-evals", "10", "--parallel-runs", "-1",
                  "--out", (dir.path / "bad").string()});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--parallel-runs"), std::string::npos) << bad.err;

  auto run = dir.path / "run";
  auto e = cli({"eval", "--suite", sample, "--method", "rio", "--budget-evals", "10", "-j", "2", "--parallel-runs", "2",
                "--out", run.string()});
  ASSERT_EQ(e.exit_code, 0) << e.err << e.out;
  EXPECT_NE(e.out.find("6 run(s) made"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("2 runs at once, 2/2 = 1 workers per run"), std::string::npos) << e.out;
  auto records = slurp(run / "records.jsonl");
  EXPECT_EQ(lines(records), 6u);
  std::set<std::string> programs;
  std::istringstream in(records);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    programs.insert(j["program"].get<std::string>());
    EXPECT_EQ(j["jobs"], 1);
    EXPECT_EQ(j["parallel_runs"], 2);
  }
  EXPECT_EQ(programs.size(), 6u);  // each run once
  auto info = nlohmann::json::parse(slurp(run / "run.json"));
  EXPECT_EQ(info["parallel_runs"], 2);
  EXPECT_EQ(info["jobs_per_run"], 1);
  EXPECT_GT(info["cpu_utilisation"].get<double>(), 0);
}

TEST(CliEval, EvalThenReport) {
  test::TempDir dir;
  auto run = (dir.path / "run").string();
  auto sample = (test::source_dir() / "data" / "sample").string();
  auto e = cli({"eval", "--suite", sample, "--method", "rio", "--budget-evals", "20", "--seeds", "2", "-j", "2", "--out", run});
  ASSERT_EQ(e.exit_code, 0) << e.err << e.out;
  EXPECT_NE(e.out.find("12 run(s) made, 0 already done"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("0 verification mismatch(es)"), std::string::npos) << e.out;
  auto records = slurp(std::filesystem::path(run) / "records.jsonl");
  EXPECT_EQ(lines(records), 12u);
  auto first = nlohmann::json::parse(records.substr(0, records.find('\n')));
  EXPECT_EQ(first["method"]["name"], "rio");
  EXPECT_EQ(first["budget"]["evaluations"], 20);
  EXPECT_LE(first["evaluations"].get<int>(), 20);
  EXPECT_EQ(first["answer"]["verified_status"], "ok");
  auto info = nlohmann::json::parse(slurp(std::filesystem::path(run) / "run.json"));
  EXPECT_GT(info["cpu_utilisation"].get<double>(), 0);
  EXPECT_EQ(info["runs"]["planned"], 12);

  // A rerun has nothing left to do.
  auto again = cli({"eval", "--suite", sample, "--method", "rio", "--budget-evals", "20", "--seeds", "2", "-j", "2", "--out", run});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 run(s) made, 12 already done"), std::string::npos) << again.out;
  EXPECT_EQ(lines(slurp(std::filesystem::path(run) / "records.jsonl")), 12u);

  auto out = dir.path / "report";
  auto r = cli({"report", run, "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto md = slurp(out / "report.md");
  EXPECT_NE(md.find("| sample | rio | 6 | 2 | 12 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| rio | 20 evals | 1 | 12 |"), std::string::npos) << md;
  auto csv = slurp(out / "summary.csv");
  EXPECT_EQ(csv.rfind("scope,suite,method", 0), 0u);
  EXPECT_EQ(lines(csv), 3u);
  for (const char* name : {"overoz_vs_time.svg", "mean_of_suite_means.svg"}) {
    auto svg = slurp(out / name);
    EXPECT_EQ(svg.rfind("<svg", 0), 0u) << name;
    EXPECT_EQ(test::xml_problem(svg), "") << name;
  }
  // Default output is the run folder.
  ASSERT_EQ(cli({"report", run}).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(run) / "report.md"));
}

// A real kill: SIGKILL once the first record is on disk, then rerun.
TEST(CliEval, ResumesAfterSigkill) {
  test::TempDir dir;
  auto run = dir.path / "run";
  auto numeric = (test::source_dir() / "data" / "sample" / "numeric").string();
  std::vector<std::string> args = {CR1_CLI_PATH, "eval", "--suite", numeric, "--method", "rio", "--budget-evals", "20",
                                   "--seeds", "3", "-j", "2", "--out", run.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (lines(slurp(run / "records.jsonl")) < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  size_t before = lines(slurp(run / "records.jsonl"));
  ASSERT_GE(before, 1u);

  args.erase(args.begin());
  auto again = cli(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  if (before < 6) {
    EXPECT_NE(again.out.find(fmt::format("{} run(s) made, {} already done", 6 - before, before)), std::string::npos)
        << again.out;
  }
  std::set<std::string> keys;
  std::istringstream in(slurp(run / "records.jsonl"));
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;  // a line torn by the kill
    keys.insert(j["program"].get<std::string>() + "#" + std::to_string(j["seed"].get<int>()));
  }
  EXPECT_EQ(keys.size(), 6u);
}

TEST(CliEval, BadInput) {
  test::TempDir dir;
  auto sample = (test::source_dir() / "data" / "sample").string();
  auto run = (dir.path / "run").string();
  auto eval = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"eval", "--out", run};
    args.insert(args.end(), extra.begin(), extra.end());
    return cli(args);
  };
  auto expect_bad = [](const SubprocessResult& r, const std::string& needle) {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;  // one line
  };
  auto unknown = eval({"--suite", sample, "--method", "rio,nope", "--budget-evals", "5"});
  expect_bad(unknown, "unknown method 'nope' (known: ");
  EXPECT_NE(unknown.err.find("rio"), std::string::npos);
  expect_bad(eval({"--suite", (dir.path / "missing").string(), "--method", "rio", "--budget-evals", "5"}), "missing");
  std::filesystem::create_directories(dir.path / "empty");
  expect_bad(eval({"--suite", (dir.path / "empty").string(), "--method", "rio", "--budget-evals", "5"}), "no .c");
  expect_bad(eval({"--suite", sample, "--method", "rio", "--budget-evals", "0"}), "bad budget");
  expect_bad(eval({"--suite", sample, "--method", "rio", "--budget-evals", "-3"}), "bad budget");
  expect_bad(eval({"--suite", sample, "--method", "rio", "--budget-seconds", "-1"}), "bad budget");
  expect_bad(eval({"--suite", sample, "--method", "rio"}), "bad budget");
  expect_bad(eval({"--suite", sample, "--method", "rio", "--budget-evals", "5", "--seeds", "0"}), "--seeds");
  expect_bad(eval({"--suite", sample, "--method", "rio", "--budget-evals", "5", "--split", "test"}), "--split needs a corpus");
  expect_bad(eval({"--suite", sample, "--method", "rio", "--budget-evals", "5", "--split", "dev"}), "--split");
  EXPECT_FALSE(std::filesystem::exists(dir.path / "run" / "records.jsonl"));

  expect_bad(cli({"report", (dir.path / "nope").string()}), "no such run folder");
  expect_bad(cli({"report", dir.path.string()}), "records.jsonl");
  std::filesystem::create_directories(dir.path / "blank");
  std::ofstream(dir.path / "blank" / "records.jsonl") << "";
  expect_bad(cli({"report", (dir.path / "blank").string()}), "no records");
}

}  // namespace
}  // namespace cr1
