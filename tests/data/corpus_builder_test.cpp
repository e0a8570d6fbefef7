#include "data/corpus_builder.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <set>

#include "data/generators.h"
#include "test_support.h"

namespace cr1::data {
namespace {

std::filesystem::path sample() { return test::source_dir() / "data" / "sample"; }

TEST(CorpusBuilder, BuildsFolderWithSplitsByGroup) {
  test::TempDir dir;
  auto m = Manifest::open(dir.path / "corpus");
  ASSERT_TRUE(m.ok());
  BuildOptions o{.jobs = 2, .progress = false};
  auto jobs = folder_jobs(sample(), o);
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  EXPECT_EQ(jobs->size(), 6u);
  auto s = build_corpus(*jobs, o, *m);
  EXPECT_EQ(s.ok, 6u);
  std::map<std::string, std::set<std::string>> splits_of_group;
  for (const auto& r : m->records()) {
    ASSERT_EQ(r.status, RecordStatus::ok) << r.uri << ": " << r.reason;
    EXPECT_TRUE(std::filesystem::exists(m->dir() / r.path)) << r.path;
    EXPECT_EQ(r.suite, "sample");
    EXPECT_GT(r.instruction_count, r.oz_instruction_count);
    EXPECT_EQ(static_cast<uint64_t>(r.autophase[51]), r.instruction_count);  // TotalInsts
    EXPECT_EQ(r.source_hash.size(), 32u);
    splits_of_group[r.group].insert(split_name(r.split));
    auto back = test::load_or_die(m->dir() / r.path);
    EXPECT_EQ(back.module->getInstructionCount(), r.instruction_count);
  }
  EXPECT_EQ(splits_of_group.size(), 3u);  // sorting, strings, numeric
  for (auto& [g, splits] : splits_of_group) EXPECT_EQ(splits.size(), 1u) << g;
}

TEST(CorpusBuilder, WindowFilterAndResume) {
  test::TempDir dir;
  BuildOptions o{.jobs = 2, .min_insts = 160, .max_insts = 250, .progress = false};
  auto jobs = *folder_jobs(sample(), o);
  {
    auto m = *Manifest::open(dir.path);
    auto s = build_corpus(jobs, o, m);
    EXPECT_EQ(s.ok, 3u);        // 165, 189, 199 instructions
    EXPECT_EQ(s.filtered, 3u);  // 150, 155, 295
  }
  auto m = *Manifest::open(dir.path);
  auto again = build_corpus(jobs, o, m);
  EXPECT_EQ(again.skipped, 6u);
  EXPECT_EQ(again.ok + again.filtered, 0u);
  EXPECT_EQ(m.records().size(), 6u);
}

// A source folder with the same program twice, in two groups (a/rle.c, b/copy.c).
std::filesystem::path two_copies_of_one_program(const test::TempDir& dir) {
  auto src = dir.path / "src";
  std::filesystem::create_directories(src / "a");
  std::filesystem::create_directories(src / "b");
  std::filesystem::copy_file(sample() / "strings" / "rle.c", src / "a" / "rle.c");
  std::filesystem::copy_file(sample() / "strings" / "rle.c", src / "b" / "copy.c");
  return src;
}

TEST(CorpusBuilder, DuplicatesAreDetectedByIRHash) {
  test::TempDir dir;
  auto src = two_copies_of_one_program(dir);
  BuildOptions o{.jobs = 1, .progress = false};
  auto m = *Manifest::open(dir.path / "corpus");
  auto s = build_corpus(*folder_jobs(src, o), o, m);
  EXPECT_EQ(s.ok, 1u);
  EXPECT_EQ(s.duplicate, 1u);
}

TEST(CorpusBuilder, BrokenSourcesAreLoggedNotFatal) {
  test::TempDir dir;
  auto src = dir.path / "src";
  std::filesystem::create_directories(src);
  std::filesystem::copy_file(sample() / "numeric" / "primes.c", src / "good.c");
  std::ofstream(src / "bad.c") << "int main(void) { return undefined_thing; }\n";
  BuildOptions o{.jobs = 2, .progress = false};
  auto m = *Manifest::open(dir.path / "corpus");
  auto s = build_corpus(*folder_jobs(src, o), o, m);
  EXPECT_EQ(s.ok, 1u);
  EXPECT_EQ(s.failed, 1u);
  for (const auto& r : m.records())
    if (r.status == RecordStatus::failed) EXPECT_NE(r.reason.find("bad.c"), std::string::npos) << r.reason;
}

TEST(CorpusBuilder, CsmithIsDeterministicBySeed) {
  if (::access("/usr/bin/csmith", X_OK) != 0) GTEST_SKIP() << "csmith not installed";
  test::TempDir dir;
  BuildOptions o{.jobs = 2, .progress = false};
  auto jobs = csmith_jobs(1, 4, o);
  auto m1 = *Manifest::open(dir.path / "one");
  auto m2 = *Manifest::open(dir.path / "two");
  build_corpus(jobs, o, m1);
  build_corpus(jobs, o, m2);
  ASSERT_EQ(m1.records().size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    auto& a = m1.records()[i];
    auto it = std::find_if(m2.records().begin(), m2.records().end(), [&](auto& r) { return r.uri == a.uri; });
    ASSERT_NE(it, m2.records().end());
    EXPECT_EQ(a.ir_hash, it->ir_hash) << a.uri;
    EXPECT_EQ(a.group, "csmith:0-99");
  }
  EXPECT_GE(m1.count(RecordStatus::ok), 2u);
}

// The precompiled csmith.h is a speedup only: same programs, same hashes.
TEST(CorpusBuilder, CsmithWithPrecompiledHeaderGivesTheSameCorpus) {
  if (::access("/usr/bin/csmith", X_OK) != 0) GTEST_SKIP() << "csmith not installed";
  test::TempDir dir;
  BuildOptions o{.jobs = 2, .progress = false};
  auto plain = *Manifest::open(dir.path / "plain");
  auto pch = *Manifest::open(dir.path / "pch");
  build_corpus(csmith_jobs(1, 6, o), o, plain);
  auto summary = build_corpus(csmith_jobs(1, 6, o, dir.path / "pch-cache"), o, pch);
  EXPECT_TRUE(std::filesystem::exists(dir.path / "pch-cache" / "csmith-OzXclangdisablellvmpasses.pch"));
  ASSERT_EQ(plain.records().size(), 6u);
  ASSERT_EQ(pch.records().size(), 6u);
  for (const auto& a : plain.records()) {
    auto it = std::find_if(pch.records().begin(), pch.records().end(), [&](auto& r) { return r.uri == a.uri; });
    ASSERT_NE(it, pch.records().end());
    EXPECT_EQ(a.status, it->status) << a.uri;
    EXPECT_EQ(a.ir_hash, it->ir_hash) << a.uri;
    EXPECT_EQ(a.oz_instruction_count, it->oz_instruction_count) << a.uri;
    EXPECT_EQ(a.autophase, it->autophase) << a.uri;
  }
  // Per-stage CPU: csmith, clang and the measurement are told apart.
  for (const char* stage : {"csmith generate", "csmith compile", "csmith load", "csmith measure"})
    EXPECT_TRUE(summary.stages.stages().contains(stage)) << stage;
  EXPECT_GT(summary.stages.stages().at("csmith generate").cpu, 0.0);
  EXPECT_GT(summary.cpu_seconds, 0.0);
  for (const auto& r : pch.records()) EXPECT_TRUE(r.cpu.contains("compile")) << r.uri;
}

// A duplicate is known by its IR hash before -Oz; its record is what it was
// when -Oz ran (same reason, hash and count), and no bitcode is left behind.
TEST(CorpusBuilder, KnownDuplicatesSkipTheMeasurement) {
  test::TempDir dir;
  auto src = two_copies_of_one_program(dir);
  BuildOptions o{.jobs = 1, .progress = false};
  auto m = *Manifest::open(dir.path / "corpus");
  auto jobs = *folder_jobs(src, o);
  build_corpus({jobs[0]}, o, m);  // the original first, so the copy's child knows its hash
  build_corpus({jobs[1]}, o, m);
  ASSERT_EQ(m.records().size(), 2u);
  const auto& first = m.records()[0];
  const auto& copy = m.records()[1];
  EXPECT_EQ(first.status, RecordStatus::ok);
  EXPECT_EQ(copy.status, RecordStatus::duplicate);
  EXPECT_EQ(copy.reason, "same IR as " + first.uri);
  EXPECT_EQ(copy.ir_hash, first.ir_hash);
  EXPECT_EQ(copy.instruction_count, first.instruction_count);
  EXPECT_TRUE(copy.path.empty());
  size_t files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(m.programs_dir())) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST(CorpusBuilder, LlvmStressProgramsAreMeasured) {
  test::TempDir dir;
  BuildOptions o{.jobs = 2, .progress = false};
  auto m = *Manifest::open(dir.path);
  auto s = build_corpus(llvm_stress_jobs(1, 6, o), o, m);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.ok + s.filtered + s.duplicate, 6u);
  // llvm-stress code is mostly dead to -Oz; those are filtered with the reason.
  for (const auto& r : m.records())
    if (r.status == RecordStatus::filtered) EXPECT_FALSE(r.reason.empty());
}

TEST(CorpusBuilder, KilledBuildResumesWithoutLossOrRepeats) {
  test::TempDir dir;
  auto corpus = dir.path / "corpus";
  // Start a real build of the sample, kill it part-way, then finish it.
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(CR1_CLI_PATH, CR1_CLI_PATH, "dataset", "build", "--from", sample().c_str(), "--out", corpus.c_str(), "-j",
            "1", (char*)nullptr);
    ::_exit(127);
  }
  // Wait until at least one program is recorded, then kill.
  for (int i = 0; i < 400; ++i) {
    std::error_code ec;
    if (std::filesystem::exists(corpus / "manifest.jsonl", ec) && std::filesystem::file_size(corpus / "manifest.jsonl", ec) > 0)
      break;
    ::usleep(25'000);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  auto killed = Manifest::read(corpus);
  ASSERT_TRUE(killed.ok()) << killed.error().message;
  size_t before = killed->records().size();
  BuildOptions o{.jobs = 2, .progress = false};
  auto m = *Manifest::open(corpus);
  auto s = build_corpus(*folder_jobs(sample(), o), o, m);
  EXPECT_EQ(s.skipped, before);
  std::set<std::string> uris;
  auto final_manifest = Manifest::read(corpus);  // named: a range-for over a temporary's member would dangle
  ASSERT_TRUE(final_manifest.ok());
  for (const auto& r : final_manifest->records()) EXPECT_TRUE(uris.insert(r.uri).second) << r.uri;
  EXPECT_EQ(uris.size(), 6u);
}

TEST(CorpusBuilder, ACrashOrHangInABatchFailsOnlyItsJob) {
  test::TempDir dir;
  BuildOptions o{.jobs = 1, .timeout = std::chrono::seconds(1), .jobs_per_child = 8, .progress = false};
  auto sample_jobs = *folder_jobs(sample(), o);
  auto job = [](std::string uri, std::function<Expected<ir::Program>(const std::filesystem::path&)> load) {
    return BuildJob{.uri = uri, .suite = "bad", .package = "bad", .group = "bad", .load = std::move(load)};
  };
  // Two per child (8 jobs, 1 slot): each bad job comes first in its batch, a good one after it.
  std::vector<BuildJob> jobs = {
      job("bad://crash", [](const std::filesystem::path&) -> Expected<ir::Program> { ::abort(); }),
      sample_jobs[0],
      job("bad://hang",
          [](const std::filesystem::path&) -> Expected<ir::Program> {
            ::sleep(60);
            return make_error(ErrorKind::internal, "woke up");
          }),
  };
  jobs.insert(jobs.end(), sample_jobs.begin() + 1, sample_jobs.end());
  auto m = *Manifest::open(dir.path / "corpus");
  auto s = build_corpus(jobs, o, m);
  EXPECT_EQ(s.ok, 6u);
  EXPECT_EQ(s.failed, 2u);
  std::set<std::string> uris;
  double job_cpu = 0;
  for (const auto& r : m.records()) {
    EXPECT_TRUE(uris.insert(r.uri).second) << r.uri;
    if (r.uri == "bad://crash") EXPECT_NE(r.reason.find("crashed"), std::string::npos) << r.reason;
    if (r.uri == "bad://hang") EXPECT_NE(r.reason.find("timeout"), std::string::npos) << r.reason;
    for (const auto& [stage, cpu] : r.cpu) job_cpu += cpu;
  }
  EXPECT_EQ(uris.size(), jobs.size());
  // Each record has its own job's CPU, not what its child spent before it.
  EXPECT_LE(job_cpu, s.cpu_seconds + 0.05);
}

TEST(ProgramFileName, SafeAndBounded) {
  EXPECT_EQ(program_file_name("csmith://12"), "csmith___12");
  auto long_name = program_file_name("debian://pkg/1.0/" + std::string(300, 'x') + ".c");
  EXPECT_LE(long_name.size(), 120u);
  EXPECT_NE(long_name, program_file_name("debian://pkg/1.0/" + std::string(301, 'x') + ".c"));
}

}  // namespace
}  // namespace cr1::data
