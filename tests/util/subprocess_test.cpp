#include "util/subprocess.h"

#include <gtest/gtest.h>

namespace cr1 {
namespace {

TEST(Subprocess, CapturesOutputAndExitCode) {
  auto r = run_subprocess({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.success());
}

TEST(Subprocess, TimesOut) {
  auto r = run_subprocess({"sleep", "10"}, std::chrono::milliseconds(100));
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.success());
}

TEST(Subprocess, ReportsSignals) {
  auto r = run_subprocess({"sh", "-c", "kill -SEGV $$"});
  EXPECT_EQ(r.signal, 11);
}

TEST(Subprocess, MissingProgramFailsToSpawn) {
  auto r = run_subprocess({"/nonexistent/program"});
  EXPECT_TRUE(r.spawn_failed);
}

TEST(TailLines, KeepsLastNonEmptyLines) {
  EXPECT_EQ(tail_lines("a\n\nb\nc\n", 2), "b | c");
  EXPECT_EQ(tail_lines("", 2), "");
}

}  // namespace
}  // namespace cr1
