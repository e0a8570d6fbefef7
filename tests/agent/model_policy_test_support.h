// Shared by the model policy tests: options for the tiny random Qwen2 fixture, and a fixture that runs
// real episodes of examples/matrix.c with real tools and a fresh verifier.
#pragma once

#include <gtest/gtest.h>

#include "agent/model_policy.h"
#include "agent_test_support.h"

namespace cr1::agent::test {

// The fixture declares 256 positions; an episode's prompt (system prompt, tool schemas, 56 features)
// is far longer in its 978-token vocabulary, so the tests run the rotary positions past it.
inline ModelPolicyOptions tiny_model_options(uint64_t seed) {
  ModelPolicyOptions o;
  o.model_dir = cr1::test::source_dir() / "tests/fixtures/qwen2-tiny";
  o.max_context = 8192;
  o.threads = 1;
  o.seed = seed;
  o.batch_window = std::chrono::microseconds(0);
  return o;
}

inline EpisodeOptions short_episodes(size_t max_tokens_per_turn) {
  EpisodeOptions e;
  e.limits.max_turns = 3;
  e.limits.max_tokens_per_turn = max_tokens_per_turn;
  return e;
}

struct MatrixEpisodeTest : ::testing::Test {
  void SetUp() override {
    if (!ModelPolicy::available()) GTEST_SKIP() << "built without libtorch";
    prog = cr1::test::example("matrix.c");
    tools.add("matrix.bc", prog);
    info = info_of(cr1::test::load_or_die(prog), "matrix.bc");
  }
  EpisodeRecord run_matrix_episode(Policy& policy, const EpisodeOptions& e) {
    auto verifier = session_of(prog);
    return run_episode(info, policy, tools.tools(), *verifier, e);
  }
  std::filesystem::path prog;
  SessionTools tools;
  ProgramInfo info;
};

}  // namespace cr1::agent::test
