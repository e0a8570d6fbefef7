#include "env/result_cache.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "test_support.h"

namespace cr1::env {
namespace {

EvalResult ok_result(uint64_t n) { return EvalResult{.status = EvalStatus::ok, .instruction_count = n, .pass_seconds = 0.01}; }

TEST(ResultCache, MemoryRoundTrip) {
  ResultCache cache;
  EXPECT_FALSE(cache.get("h", "function(sroa)"));
  cache.put("h", "function(sroa)", ok_result(42));
  auto hit = cache.get("h", "function(sroa)");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->instruction_count, 42u);
  EXPECT_TRUE(hit->from_cache);
  EXPECT_FALSE(cache.get("other-module", "function(sroa)"));
}

TEST(ResultCache, FailuresAreCachedButTimeoutsAreNot) {
  ResultCache cache;
  cache.put("h", "a", EvalResult{.status = EvalStatus::crashed, .message = "LLVM ERROR: x"});
  cache.put("h", "b", EvalResult{.status = EvalStatus::timeout});
  auto crashed = cache.get("h", "a");
  ASSERT_TRUE(crashed);
  EXPECT_EQ(crashed->status, EvalStatus::crashed);
  EXPECT_EQ(crashed->message, "LLVM ERROR: x");
  EXPECT_FALSE(cache.get("h", "b"));
}

TEST(ResultCache, PersistsInSqlite) {
  test::TempDir dir;
  auto path = (dir.path / "cache.db").string();
  {
    auto cache = ResultCache::open(path);
    ASSERT_TRUE(cache.ok()) << cache.error().message;
    (*cache)->put("h", "function(gvn)", ok_result(7));
  }
  auto cache = ResultCache::open(path);
  ASSERT_TRUE(cache.ok());
  auto hit = (*cache)->get("h", "function(gvn)");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->instruction_count, 7u);
}

TEST(ResultCache, ConcurrentWritersLoseNothing) {
  test::TempDir dir;
  auto path = (dir.path / "cache.db").string();
  constexpr int kProcs = 4, kBatches = 25, kPerBatch = 8;
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    if (pid == 0) {
      auto cache = ResultCache::open(path);
      if (!cache) ::_exit(3);
      for (int b = 0; b < kBatches; ++b) {
        std::vector<std::pair<std::string, EvalResult>> batch;
        for (int i = 0; i < kPerBatch; ++i)
          batch.emplace_back("p" + std::to_string(p) + "-" + std::to_string(b * kPerBatch + i),
                             ok_result(static_cast<uint64_t>(p * 1000 + b * kPerBatch + i)));
        (*cache)->put_many("h", batch);
      }
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t k : kids) {
    int st = 0;
    ::waitpid(k, &st, 0);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  auto cache = ResultCache::open(path);
  ASSERT_TRUE(cache.ok());
  for (int p = 0; p < kProcs; ++p)
    for (int i = 0; i < kBatches * kPerBatch; ++i) {
      auto hit = (*cache)->get("h", "p" + std::to_string(p) + "-" + std::to_string(i));
      ASSERT_TRUE(hit) << p << " " << i;
      EXPECT_EQ(hit->instruction_count, static_cast<uint64_t>(p * 1000 + i));
    }
}

TEST(ResultCache, SurvivesAKilledWriter) {
  test::TempDir dir;
  auto path = (dir.path / "cache.db").string();
  pid_t pid = ::fork();
  if (pid == 0) {
    auto cache = ResultCache::open(path);
    for (int i = 0;; ++i) (*cache)->put("h", "k" + std::to_string(i), ok_result(static_cast<uint64_t>(i)));
  }
  ::usleep(300'000);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  auto cache = ResultCache::open(path);
  ASSERT_TRUE(cache.ok()) << cache.error().message;
  auto first = (*cache)->get("h", "k0");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->instruction_count, 0u);
}

TEST(ResultCache, UnusableFileIsAnError) {
  test::TempDir dir;
  auto bad = dir.file("not-a-db", std::string(4096, 'x'));
  auto cache = ResultCache::open(bad.string());
  ASSERT_FALSE(cache.ok());
  EXPECT_NE(cache.error().message.find("not-a-db"), std::string::npos);
}

}  // namespace
}  // namespace cr1::env
