#include "env/process_map.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <thread>

namespace cr1::env {
namespace {

TEST(ProcessMap, RunsEveryJobInAChild) {
  std::map<size_t, JobResult> results;
  pid_t self = ::getpid();
  process_map(
      10, {.parallel = 3},
      [self](size_t i) { return std::to_string(i * i) + (::getpid() == self ? " parent" : " child"); },
      [&](size_t i, JobResult r) { results[i] = std::move(r); });
  ASSERT_EQ(results.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(results[i].outcome, JobOutcome::ok);
    EXPECT_EQ(results[i].output, std::to_string(i * i) + " child");
  }
}

TEST(ProcessMap, CrashesAndTimeoutsAreContained) {
  std::map<size_t, JobResult> results;
  process_map(
      3, {.parallel = 2, .timeout = std::chrono::milliseconds(300)},
      [](size_t i) -> std::string {
        if (i == 0) {
          ::write(2, "about to fail\n", 14);
          ::abort();
        }
        if (i == 1) std::this_thread::sleep_for(std::chrono::seconds(30));
        return "fine";
      },
      [&](size_t i, JobResult r) { results[i] = std::move(r); });
  EXPECT_EQ(results[0].outcome, JobOutcome::crashed);
  EXPECT_NE(results[0].error.find("signal 6"), std::string::npos) << results[0].error;
  EXPECT_NE(results[0].error.find("about to fail"), std::string::npos) << results[0].error;
  EXPECT_EQ(results[1].outcome, JobOutcome::timeout);
  EXPECT_EQ(results[2].outcome, JobOutcome::ok);
  EXPECT_EQ(results[2].output, "fine");
}

TEST(ProcessMap, StopPreventsNewJobs) {
  size_t done = 0;
  process_map(
      100, {.parallel = 1}, [](size_t) { return std::string("x"); }, [&](size_t, JobResult) { ++done; },
      [&] { return done >= 5; });
  EXPECT_EQ(done, 5u);
}

TEST(ProcessMap, LinesSentBeforeACrashOrHangAreKept) {
  std::map<size_t, JobResult> results;
  process_map(
      2, {.parallel = 2, .timeout = std::chrono::milliseconds(400)},
      [](size_t i) -> std::string {
        send_line("first");
        send_line("second");
        if (i == 0) ::abort();
        std::this_thread::sleep_for(std::chrono::seconds(30));
        return "never";
      },
      [&](size_t i, JobResult r) { results[i] = std::move(r); });
  EXPECT_EQ(results[0].outcome, JobOutcome::crashed);
  EXPECT_EQ(results[0].output, "first\nsecond\n");
  EXPECT_EQ(results[1].outcome, JobOutcome::timeout);
  EXPECT_EQ(results[1].output, "first\nsecond\n");
}

TEST(ProcessMap, ADeadlinePerLineBoundsEachStepNotTheWholeChild) {
  // Five steps of 150 ms: 750 ms in all, each well within the 400 ms timeout.
  auto steps = [](size_t) -> std::string {
    for (int k = 0; k < 5; ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
      send_line(std::to_string(k));
    }
    return "";
  };
  std::map<size_t, JobResult> per_line, per_child;
  process_map(1, {.parallel = 1, .timeout = std::chrono::milliseconds(400), .deadline_per_line = true}, steps,
              [&](size_t i, JobResult r) { per_line[i] = std::move(r); });
  EXPECT_EQ(per_line[0].outcome, JobOutcome::ok) << per_line[0].error;
  EXPECT_EQ(per_line[0].output, "0\n1\n2\n3\n4\n");
  process_map(1, {.parallel = 1, .timeout = std::chrono::milliseconds(400)}, steps,
              [&](size_t i, JobResult r) { per_child[i] = std::move(r); });
  EXPECT_EQ(per_child[0].outcome, JobOutcome::timeout);
  EXPECT_EQ(per_child[0].output, "0\n1\n");
}

}  // namespace
}  // namespace cr1::env
