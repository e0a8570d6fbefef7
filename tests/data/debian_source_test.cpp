#include "data/debian_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "test_support.h"

namespace cr1::data {
namespace {
namespace fs = std::filesystem;

std::string clang() {
#ifdef CR1_CLANG_PATH
  return CR1_CLANG_PATH;
#else
  return "clang-19";
#endif
}

bool has_arg(const CompileJob& job, const std::string& arg) {
  return std::find(job.clang_args.begin(), job.clang_args.end(), arg) != job.clang_args.end();
}

const CompileJob* find_job(const std::vector<CompileJob>& jobs, const std::string& relpath) {
  for (const auto& j : jobs)
    if (j.relpath == relpath) return &j;
  return nullptr;
}

// Compiles `job` to bitcode with clang-19 and the recipe flags; "" on success, else clang's stderr.
std::string compile_job(const CompileJob& job, const fs::path& bc) {
  std::vector<std::string> cmd = {clang(), "-c", "-emit-llvm", "-Oz", "-Xclang", "-disable-llvm-passes"};
  if (job.is_cxx) cmd.push_back("--driver-mode=g++");
  cmd.insert(cmd.end(), job.clang_args.begin(), job.clang_args.end());
  cmd.insert(cmd.end(), {"-o", bc.string(), job.source.string()});
  auto r = run_subprocess(cmd, std::chrono::seconds(120));
  return r.success() ? "" : r.err + "(exit " + std::to_string(r.exit_code) + ")";
}

// ---- read_package_list ------------------------------------------------------------------------------------

TEST(ReadPackageList, ParsesNamesVersionsCommentsAndBlankLines) {
  test::TempDir dir;
  auto file = dir.file("pkgs.txt",
                       "# compression\n"
                       "bzip2=1.0.8-5\n"
                       "\n"
                       "  zlib = 1:1.2.13.dfsg-1   # epoch kept\n"
                       "libpng1.6=1.6.39-2+deb12u5 -DPNG_ARG=1 -UNDEBUG -std=gnu99  # args\n"
                       "less=590-2.1~deb12u2\n");
  auto pkgs = read_package_list(file);
  ASSERT_TRUE(pkgs) << pkgs.error().message;
  ASSERT_EQ(pkgs->size(), 4u);
  EXPECT_EQ((*pkgs)[0].name, "bzip2");
  EXPECT_EQ((*pkgs)[0].version, "1.0.8-5");
  EXPECT_EQ((*pkgs)[1].name, "zlib");
  EXPECT_EQ((*pkgs)[1].version, "1:1.2.13.dfsg-1");
  EXPECT_EQ((*pkgs)[2].name, "libpng1.6");
  EXPECT_EQ((*pkgs)[2].version, "1.6.39-2+deb12u5");
  EXPECT_EQ((*pkgs)[2].extra_args, (std::vector<std::string>{"-DPNG_ARG=1", "-UNDEBUG", "-std=gnu99"}));
  EXPECT_TRUE((*pkgs)[0].extra_args.empty());
  EXPECT_EQ((*pkgs)[3].version, "590-2.1~deb12u2");
}

TEST(ReadPackageList, BadLinesAreErrorsNamingFileAndLine) {
  test::TempDir dir;
  struct Case {
    std::string text, expect;
  } cases[] = {
      {"bzip2=1.0.8-5\n# fine\nzlib\n", ":3: expected name=version"},
      {"Bzip2=1.0.8-5\n", ":1: bad source package name 'Bzip2'"},
      {"bzip2=\n", ":1: bad version ''"},
      {"bzip2=abc\n", ":1: bad version 'abc'"},
      {"bzip2=x:1.0\n", ":1: bad version 'x:1.0'"},
      {"bzip2=1.0 2\n", ":1: argument '2' for bzip2 is not -D, -U or -std="},
      {"bzip2=1.0 -I/etc\n", ":1: argument '-I/etc' for bzip2 is not -D, -U or -std="},
      {"bzip2=1.0 -D\n", ":1: argument '-D' for bzip2 is not -D, -U or -std="},
      {"bzip2=1.0\n\nbzip2=1.1\n", ":3: bzip2 is listed twice"},
  };
  for (const auto& c : cases) {
    auto file = dir.file("bad.txt", c.text);
    auto pkgs = read_package_list(file);
    ASSERT_FALSE(pkgs) << c.text;
    EXPECT_EQ(pkgs.error().kind, ErrorKind::invalid_input);
    EXPECT_NE(pkgs.error().message.find(file.string() + c.expect), std::string::npos) << pkgs.error().message;
    EXPECT_EQ(pkgs.error().message.find('\n'), std::string::npos);
  }
}

TEST(ReadPackageList, MissingFileIsNotFound) {
  auto pkgs = read_package_list("/nonexistent/pkgs.txt");
  ASSERT_FALSE(pkgs);
  EXPECT_EQ(pkgs.error().kind, ErrorKind::not_found);
}

TEST(ReadPackageList, TheShippedListParsesAndIsLargeEnough) {
  auto pkgs = read_package_list(test::source_dir() / "data" / "debian-packages.txt");
  ASSERT_TRUE(pkgs) << pkgs.error().message;
  EXPECT_GE(pkgs->size(), 60u);
}

// ---- enumerate_jobs ---------------------------------------------------------------------------------------

TEST(EnumerateJobs, FindsTusAndIncludeDirsAndSkipsPackagingAndOtherOses) {
  test::TempDir dir;
  fs::path root = dir.path / "pkg";
  for (const char* d : {"src", "include/mylib", "lib", "debian", ".pc/01-fix", "win32", "compat"})
    fs::create_directories(root / d);
  auto write = [&](const char* rel, const std::string& text) { std::ofstream(root / rel) << text; };
  write("config.h", "#define HAVE_FOO 1\n");
  write("include/mylib/api.h", "int api(void);\n");
  write("lib/util.h", "int util(int);\n");
  write("lib/util.c", "#include \"util.h\"\nint util(int x) { return x + 1; }\n");
  write("compat/time.h", "/* a replacement that must not hide <time.h> */\n#error wrong time.h\n");
  write("src/main.c",
        "#ifdef HAVE_CONFIG_H\n#include <config.h>\n#endif\n#include <time.h>\n#include <mylib/api.h>\n"
        "#include \"util.h\"\nint main(void) { return util(HAVE_FOO) + (int)sizeof(time_t); }\n");
  write("src/extra.cc", "int extra() { return 1; }\n");
  // Postgres-style: the Makefile links backend/lmgr/names.h to include/gen/names.h; a shim stands in.
  // made_by_make.h exists nowhere: an empty stub stands in.
  fs::create_directories(root / "backend/lmgr");
  write("backend/lmgr/names.h", "#define NAMES 3\n");
  write("src/uses_gen.c", "#include <gen/names.h>\n#include \"made_by_make.h\"\nint n = NAMES;\n");
  write("debian/x.c", "int x;\n");
  write(".pc/01-fix/y.c", "int y;\n");
  write("win32/w.c", "int w;\n");

  auto jobs = enumerate_jobs(root, root);
  std::vector<std::string> rels;
  for (const auto& j : jobs) rels.push_back(j.relpath);
  EXPECT_EQ(rels, (std::vector<std::string>{"lib/util.c", "src/extra.cc", "src/main.c", "src/uses_gen.c"}));
  EXPECT_TRUE(fs::is_regular_file(root / ".cr1-shim/gen/names.h"));
  EXPECT_TRUE(fs::is_regular_file(root / ".cr1-shim/made_by_make.h"));  // an empty stand-in
  EXPECT_FALSE(fs::exists(root / ".cr1-shim/time.h"));                  // the system has it

  const CompileJob* main_job = find_job(jobs, "src/main.c");
  ASSERT_NE(main_job, nullptr);
  EXPECT_FALSE(main_job->is_cxx);
  EXPECT_EQ(main_job->source, root / "src/main.c");
  EXPECT_TRUE(has_arg(*main_job, "-I" + root.string()));
  EXPECT_TRUE(has_arg(*main_job, "-I" + (root / "include").string()));  // resolves <mylib/api.h>
  EXPECT_TRUE(has_arg(*main_job, "-I" + (root / "lib").string()));
  EXPECT_TRUE(has_arg(*main_job, "-idirafter" + (root / "compat").string()));
  EXPECT_FALSE(has_arg(*main_job, "-I" + (root / "compat").string()));
  EXPECT_TRUE(has_arg(*main_job, "-DHAVE_CONFIG_H"));
  EXPECT_TRUE(has_arg(*main_job, "-std=gnu11"));
  EXPECT_TRUE(find_job(jobs, "src/extra.cc")->is_cxx);
  EXPECT_TRUE(has_arg(*find_job(jobs, "src/extra.cc"), "-std=gnu++17"));

  // The arguments are enough to compile it: config.h, <mylib/api.h> and "util.h" are found, and the
  // package's time.h does not shadow the system one.
  test::TempDir out;
  std::vector<std::string> cmd = {clang(), "-Oz", "-Xclang", "-disable-llvm-passes", "-c", "-emit-llvm"};
  cmd.insert(cmd.end(), main_job->clang_args.begin(), main_job->clang_args.end());
  cmd.insert(cmd.end(), {"-o", (out.path / "main.bc").string(), main_job->source.string()});
  auto r = run_subprocess(cmd);
  EXPECT_TRUE(r.success()) << r.err;

  const CompileJob* gen_job = find_job(jobs, "src/uses_gen.c");
  ASSERT_NE(gen_job, nullptr);
  cmd = {clang(), "-fsyntax-only"};
  cmd.insert(cmd.end(), gen_job->clang_args.begin(), gen_job->clang_args.end());
  cmd.push_back(gen_job->source.string());
  r = run_subprocess(cmd);
  EXPECT_TRUE(r.success()) << r.err;
}

// ---- prepare_package (network) ---------------------------------------------------------------------------

TEST(PreparePackage, DownloadsExtractsAndEnumeratesARealPackage) {
  auto pkgs = read_package_list(test::source_dir() / "data" / "debian-packages.txt");
  ASSERT_TRUE(pkgs) << pkgs.error().message;
  auto it = std::find_if(pkgs->begin(), pkgs->end(), [](const DebianPackage& p) { return p.name == "bzip2"; });
  ASSERT_NE(it, pkgs->end()) << "the test uses bzip2 from data/debian-packages.txt";
  if (!run_subprocess({"dpkg-source", "--version"}).success()) GTEST_SKIP() << "dpkg-source missing (dpkg-dev)";

  DebianPackage pkg = *it;
  pkg.extra_args.push_back("-DCR1_FROM_THE_LIST=1");
  test::TempDir cache;
  auto prepared = prepare_package(pkg, cache.path);
  if (!prepared && prepared.error().message.find("apt-get source") != std::string::npos)
    GTEST_SKIP() << "no Debian source access (run scripts/enable-deb-src.sh; network?): "
                 << prepared.error().message;
  ASSERT_TRUE(prepared) << prepared.error().message;
  EXPECT_EQ(prepared->package.name, "bzip2");
  EXPECT_TRUE(fs::is_directory(prepared->source_dir));
  ASSERT_FALSE(prepared->jobs.empty());
  EXPECT_NE(prepared->log.find("download: ok"), std::string::npos) << prepared->log;
  EXPECT_NE(find_job(prepared->jobs, "bzlib.c"), nullptr);
  for (const auto& j : prepared->jobs) {
    EXPECT_TRUE(fs::is_regular_file(j.source)) << j.relpath;
    EXPECT_EQ(j.clang_args.back(), "-DCR1_FROM_THE_LIST=1") << j.relpath;
    EXPECT_EQ(j.relpath.find("debian/"), std::string::npos) << j.relpath;
  }

  // clang-19 turns a job into bitcode that LLVM reads back.
  auto bc = cache.path / "bzlib.bc";
  ASSERT_EQ(compile_job(*find_job(prepared->jobs, "bzlib.c"), bc), "");
  auto program = test::load_or_die(bc);
  EXPECT_GT(program.module->getInstructionCount(), 50u);

  // A second call is answered from the record: same jobs, nothing downloaded or extracted again.
  auto again = prepare_package(pkg, cache.path);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->log, prepared->log);
  ASSERT_EQ(again->jobs.size(), prepared->jobs.size());
  for (size_t i = 0; i < again->jobs.size(); ++i) {
    EXPECT_EQ(again->jobs[i].relpath, prepared->jobs[i].relpath);
    EXPECT_EQ(again->jobs[i].clang_args, prepared->jobs[i].clang_args);
  }

  // A lost record is redone from the downloads alone.
  fs::remove(prepared->source_dir.parent_path() / (prepared->source_dir.filename().string() + ".cr1.json"));
  auto redo = prepare_package(pkg, cache.path);
  ASSERT_TRUE(redo) << redo.error().message;
  EXPECT_NE(redo->log.find("download: cached"), std::string::npos) << redo->log;
  EXPECT_EQ(redo->jobs.size(), prepared->jobs.size());
}

// fetch_package is the download step alone: the preparation then finds the files, and times its steps.
TEST(PreparePackage, FetchFirstThenPrepareFindsTheDownload) {
  auto pkgs = read_package_list(test::source_dir() / "data" / "debian-packages.txt");
  ASSERT_TRUE(pkgs) << pkgs.error().message;
  auto it = std::find_if(pkgs->begin(), pkgs->end(), [](const DebianPackage& p) { return p.name == "bzip2"; });
  ASSERT_NE(it, pkgs->end());
  if (!run_subprocess({"dpkg-source", "--version"}).success()) GTEST_SKIP() << "dpkg-source missing (dpkg-dev)";
  test::TempDir cache;
  auto fetched = fetch_package(*it, cache.path);
  if (!fetched && fetched.error().message.find("apt-get source") != std::string::npos)
    GTEST_SKIP() << "no Debian source access: " << fetched.error().message;
  ASSERT_TRUE(fetched) << fetched.error().message;
  EXPECT_TRUE(fs::exists(cache.path / "downloads" / "bzip2_1.0.8-5.dsc"));
  EXPECT_FALSE(fs::exists(cache.path / "src" / "bzip2-1.0.8-5"));  // nothing extracted yet
  auto prepared = prepare_package(*it, cache.path);
  ASSERT_TRUE(prepared) << prepared.error().message;
  EXPECT_NE(prepared->log.find("download: cached"), std::string::npos) << prepared->log;
  EXPECT_FALSE(prepared->cached);
  for (const char* stage : {"download", "extract", "configure", "enumerate"})
    EXPECT_TRUE(prepared->times.stages().contains(stage)) << stage;
  EXPECT_GT(prepared->times.stages().at("extract").cpu, 0.0);
  // Read back: the record keeps the times and says it was cached; fetching again does nothing.
  auto again = prepare_package(*it, cache.path);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->cached);
  EXPECT_NEAR(again->times.stages().at("extract").cpu, prepared->times.stages().at("extract").cpu, 0.001);  // ms in JSON
  EXPECT_TRUE(fetch_package(*it, cache.path));
  DebianPackage unknown{"bzip2", "9.9.9-9", {}};
  auto bad = fetch_package(unknown, cache.path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bzip2=9.9.9-9"), std::string::npos) << bad.error().message;
}

// gzip exercises autoconf: configure runs, and version.c/version.h, which its Makefile prints into
// place, are written so that the TUs including them compile.
TEST(PreparePackage, RunsAutoconfAndWritesMakePrintedFiles) {
  auto pkgs = read_package_list(test::source_dir() / "data" / "debian-packages.txt");
  ASSERT_TRUE(pkgs) << pkgs.error().message;
  auto it = std::find_if(pkgs->begin(), pkgs->end(), [](const DebianPackage& p) { return p.name == "gzip"; });
  ASSERT_NE(it, pkgs->end()) << "the test uses gzip from data/debian-packages.txt";
  if (!run_subprocess({"dpkg-source", "--version"}).success()) GTEST_SKIP() << "dpkg-source missing (dpkg-dev)";

  test::TempDir cache;
  auto prepared = prepare_package(*it, cache.path);
  if (!prepared && prepared.error().message.find("apt-get source") != std::string::npos)
    GTEST_SKIP() << "no Debian source access: " << prepared.error().message;
  ASSERT_TRUE(prepared) << prepared.error().message;
  EXPECT_NE(prepared->log.find("configure: autoconf ok"), std::string::npos) << prepared->log;
  EXPECT_TRUE(fs::is_regular_file(prepared->source_dir / "lib/config.h"));  // AC_CONFIG_HEADERS
  auto version_h = read_file(prepared->source_dir / "version.h");
  ASSERT_TRUE(version_h) << prepared->log;
  EXPECT_EQ(*version_h, "extern char const *Version;\n");
  const CompileJob* version_c = find_job(prepared->jobs, "version.c");
  ASSERT_NE(version_c, nullptr);
  for (const CompileJob* job : {version_c, find_job(prepared->jobs, "deflate.c"), find_job(prepared->jobs, "lib/xsize.c")}) {
    ASSERT_NE(job, nullptr);
    EXPECT_TRUE(has_arg(*job, "-DHAVE_CONFIG_H")) << job->relpath;
    EXPECT_EQ(compile_job(*job, cache.path / "x.bc"), "") << job->relpath;
  }
}

TEST(PreparePackage, ConcurrentCallsShareOnePreparation) {
  auto pkgs = read_package_list(test::source_dir() / "data" / "debian-packages.txt");
  ASSERT_TRUE(pkgs) << pkgs.error().message;
  auto it = std::find_if(pkgs->begin(), pkgs->end(), [](const DebianPackage& p) { return p.name == "bzip2"; });
  ASSERT_NE(it, pkgs->end());
  test::TempDir cache;
  std::optional<Expected<PreparedPackage>> results[3];
  {
    std::vector<std::thread> threads;
    for (auto& r : results) threads.emplace_back([&] { r.emplace(prepare_package(*it, cache.path)); });
    for (auto& t : threads) t.join();
  }
  for (auto& r : results) {
    auto& e = *r;
    if (!e && e.error().message.find("apt-get source") != std::string::npos)
      GTEST_SKIP() << "no Debian source access: " << e.error().message;
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->jobs.size(), (*results[0])->jobs.size());
    EXPECT_TRUE(fs::is_regular_file(e->jobs.front().source));
  }
}

TEST(PreparePackage, UnknownVersionIsAnErrorNamingThePackage) {
  if (!run_subprocess({"apt-get", "--version"}).success()) GTEST_SKIP() << "apt-get missing";
  test::TempDir cache;
  auto prepared = prepare_package({"bzip2", "0.0.1-cr1"}, cache.path);
  ASSERT_FALSE(prepared);
  EXPECT_NE(prepared.error().message.find("bzip2=0.0.1-cr1"), std::string::npos) << prepared.error().message;
  EXPECT_EQ(prepared.error().message.find('\n'), std::string::npos);
}

// ---- whole_program_groups ---------------------------------------------------------------------------------

// The group's TUs after the main TU, sorted (their order is breadth first, by reference order).
std::vector<std::string> rest_sorted(const ProgramGroup& g) {
  std::vector<std::string> rest(g.relpaths.begin() + 1, g.relpaths.end());
  std::sort(rest.begin(), rest.end());
  return rest;
}

TEST(WholeProgramGroups, GroupsEachMainWithTheTusItNeeds) {
  test::TempDir dir;
  struct Tu {
    std::string rel, text;
  } tus[] = {
      {"tools/one.c", "int helper(int);\nint main(void) { return helper(1); }\n"},
      {"tools/two.c", "int helper(int);\nint twohelp(void);\nint main(int c, char** v) { return helper(c) + twohelp(); }\n"},
      {"tools/two_util.c", "int twohelp(void) { return 3; }\n"},
      {"lib/helper.c", "int deep(int);\nint helper(int x) { return deep(x) * 2; }\n"},
      {"lib/deep.c", "int deep(int x) { return x + 7; }\n"},
      {"lib/weak.c", "__attribute__((weak)) int deep(int x) { return 0; }\n"},  // loses to the strong one
      {"lib/unused.c", "int unused(void) { return 1; }\n"},
      {"lib/static_main.c", "static int main(void) { return 0; }\nint use(void) { return main(); }\n"},
      {"tests/check.c", "int check_helper(void);\nint helper(int);\nint main(void) { return check_helper() + helper(2); }\n"},
      {"tests/check_helper.c", "int check_helper(void) { return 0; }\n"},
      {"tests/helper_stub.c", "int helper(int x) { return 0; }\n"},  // a test double: only for tests/
  };
  std::map<std::string, fs::path> bitcode;
  for (const auto& tu : tus) {
    fs::create_directories((dir.path / tu.rel).parent_path());
    auto src = dir.file(tu.rel, tu.text);
    auto bc = dir.path / (tu.rel + ".bc");
    auto r = run_subprocess({clang(), "-c", "-emit-llvm", "-w", "-o", bc.string(), src.string()});
    ASSERT_TRUE(r.success()) << r.err;
    bitcode[tu.rel] = bc;
  }
  auto groups = whole_program_groups(bitcode);
  ASSERT_TRUE(groups) << groups.error().message;
  ASSERT_EQ(groups->size(), 3u);
  const auto& check = (*groups)[0];
  const auto& one = (*groups)[1];
  const auto& two = (*groups)[2];
  EXPECT_EQ(check.name, "tests/check");
  EXPECT_EQ(check.relpaths.front(), "tests/check.c");
  EXPECT_EQ(rest_sorted(check), (std::vector<std::string>{"tests/check_helper.c", "tests/helper_stub.c"}));
  EXPECT_EQ(one.name, "tools/one");
  EXPECT_EQ(one.relpaths, (std::vector<std::string>{"tools/one.c", "lib/helper.c", "lib/deep.c"}));
  EXPECT_EQ(two.name, "tools/two");
  EXPECT_EQ(two.relpaths.front(), "tools/two.c");
  EXPECT_EQ(rest_sorted(two), (std::vector<std::string>{"lib/deep.c", "lib/helper.c", "tools/two_util.c"}));

  // A group links into one program with everything it calls defined.
  std::vector<fs::path> inputs;
  for (const auto& rel : two.relpaths) inputs.push_back(bitcode[rel]);
  auto linked = ir::load_program(inputs);
  ASSERT_TRUE(linked) << linked.error().message;
  for (const char* f : {"main", "helper", "twohelp", "deep"}) {
    auto* fn = linked->module->getFunction(f);
    ASSERT_NE(fn, nullptr) << f;
    EXPECT_FALSE(fn->isDeclaration()) << f;
  }
  EXPECT_EQ(linked->module->getFunction("unused"), nullptr);
}

TEST(WholeProgramGroups, UnreadableBitcodeIsAnErrorNamingTheFile) {
  test::TempDir dir;
  auto bad = dir.file("bad.bc", "not bitcode");
  auto groups = whole_program_groups({{"bad.c", bad}});
  ASSERT_FALSE(groups);
  EXPECT_NE(groups.error().message.find(bad.string()), std::string::npos) << groups.error().message;
}

}  // namespace
}  // namespace cr1::data
