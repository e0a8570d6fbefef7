#include "data/stage_times.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "util/subprocess.h"

namespace cr1::data {
namespace {

// Burns CPU in this process for about `seconds`.
void spin(double seconds) {
  auto start = cpu_now();
  volatile uint64_t x = 1;
  for (;;) {
    for (int i = 0; i < 100000; ++i) x = x * 6364136223846793005ull + 1;
    auto now = cpu_now();
    if (now.self - start.self >= seconds) break;
  }
}

TEST(StageTimes, LapsCountSelfAndWaitedForChildren) {
  StageTimes t;
  auto mark = cpu_now();
  spin(0.05);
  mark = t.lap("self", mark);
  // A child's CPU counts once it has been waited for.
  auto r = run_subprocess({"sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"}, std::chrono::seconds(60));
  ASSERT_TRUE(r.success()) << r.err;
  t.lap("child", mark);
  ASSERT_EQ(t.stages().size(), 2u);
  EXPECT_GE(t.stages().at("self").cpu, 0.05);
  EXPECT_GT(t.stages().at("child").cpu, 0.0);
  EXPECT_GE(t.stages().at("self").wall, 0.0);
  EXPECT_EQ(t.stages().at("self").count, 1u);
  EXPECT_DOUBLE_EQ(t.cpu_total(), t.stages().at("self").cpu + t.stages().at("child").cpu);
}

TEST(StageTimes, AddsJsonRoundTripAndTable) {
  StageTimes a, b;
  a.add("compile", {1.5, 2.0, 3});
  b.add("compile", {0.5, 1.0, 1});
  b.add("measure", {2.0, 2.5, 4});
  a.add(b);
  EXPECT_DOUBLE_EQ(a.stages().at("compile").cpu, 2.0);
  EXPECT_EQ(a.stages().at("compile").count, 4u);
  EXPECT_DOUBLE_EQ(a.cpu_total(), 4.0);
  auto back = nlohmann::json(a).get<StageTimes>();
  EXPECT_DOUBLE_EQ(back.stages().at("measure").wall, 2.5);
  EXPECT_EQ(back.stages().at("measure").count, 4u);
  auto table = format_stage_table(a);
  EXPECT_NE(table.find("compile"), std::string::npos) << table;
  EXPECT_NE(table.find("50.0%"), std::string::npos) << table;  // each stage is half of 4.0 s
  EXPECT_NE(table.find("4.0"), std::string::npos) << table;
}

}  // namespace
}  // namespace cr1::data
