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

}  // namespace
}  // namespace cr1::env
