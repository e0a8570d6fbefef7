#include "env/eval_result.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace cr1::env;

TEST(EvalResult, EveryStatusNameRoundTrips) {
  for (auto s : {EvalStatus::ok, EvalStatus::crashed, EvalStatus::timeout, EvalStatus::invalid_pass,
                 EvalStatus::invalid_ir, EvalStatus::unsupported})
    EXPECT_EQ(parse_eval_status(eval_status_name(s)), s) << eval_status_name(s);
  EXPECT_FALSE(parse_eval_status("exploded"));
}

TEST(EvalResult, OnlyResultsThatDependOnTheModuleAndPipelineAreCached) {
  EvalResult r;
  for (auto s : {EvalStatus::ok, EvalStatus::crashed, EvalStatus::invalid_pass, EvalStatus::invalid_ir}) {
    r.status = s;
    EXPECT_TRUE(r.cacheable()) << eval_status_name(s);
  }
  for (auto s : {EvalStatus::timeout, EvalStatus::unsupported}) {
    r.status = s;
    EXPECT_FALSE(r.cacheable()) << eval_status_name(s);
  }
}

TEST(EvalResult, JsonRoundTrip) {
  EvalResult r;
  r.status = EvalStatus::unsupported;
  r.message = "target not linked";
  r.instruction_count = 3;
  nlohmann::json j = r;
  EvalResult back = j.get<EvalResult>();
  EXPECT_EQ(back.status, EvalStatus::unsupported);
  EXPECT_EQ(back.message, "target not linked");
  EXPECT_EQ(back.instruction_count, 3u);
}
