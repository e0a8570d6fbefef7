// The built-in model as a policy, with the tiny random Qwen2 fixture (tests/fixtures/qwen2-tiny): real
// episodes through the episode runner and the batch runner on bundled programs, exact token counts,
// batching of concurrent episodes, seeds, teacher forcing, and the errors a bad model folder gives.
#include "agent/model_policy.h"

#include <atomic>
#include <fstream>

#include <gtest/gtest.h>

#include "agent/batch_runner.h"
#include "agent/chat.h"
#include "model_policy_test_support.h"
#include "model/tokenizer.h"

namespace cr1::agent {
namespace {

namespace fs = std::filesystem;

fs::path tiny_model() { return cr1::test::source_dir() / "tests/fixtures/qwen2-tiny"; }

ModelPolicyOptions tiny_options(uint64_t seed = 7) {
  ModelPolicyOptions o = test::tiny_model_options(seed);
  o.batch_window = std::chrono::milliseconds(20);
  return o;
}

std::unique_ptr<ModelPolicy> open_or_die(const ModelPolicyOptions& o) {
  auto p = ModelPolicy::open(o);
  if (!p) throw std::runtime_error(p.error().message);
  return std::move(*p);
}

struct ModelPolicyTest : test::MatrixEpisodeTest {
  EpisodeRecord run(ModelPolicy& policy, EpisodeOptions e = test::short_episodes(40)) {
    if (auto st = use_exact_token_counts(e, policy); !st) throw std::runtime_error(st.error().message);
    return run_matrix_episode(policy, e);
  }
};

TEST_F(ModelPolicyTest, RealEpisodeEndsWithAReasonAndExactTokenCounts) {
  auto policy = open_or_die(tiny_options());
  auto r = run(*policy);
  EXPECT_TRUE(r.end_reason == "answer" || r.end_reason == "max_turns" || r.end_reason == "max_tokens" ||
              r.end_reason == "protocol_error")
      << r.end_reason << " " << r.policy_error;
  ASSERT_FALSE(r.turns.empty());
  EXPECT_NE(r.policy.find("model;qwen2-tiny"), std::string::npos) << r.policy;
  EXPECT_TRUE(r.exact_token_counts);
  EXPECT_FALSE(r.verified_status.empty());

  const auto& tok = policy->tokenizer();
  std::vector<ChatMessage> first(r.messages.begin(), r.messages.begin() + 2);
  EXPECT_EQ(r.prompt_tokens, tok.encode(render_chatml(first, tools.tools().schemas, true)).size());
  size_t response = 0, tool = 0;
  for (const auto& t : r.turns) {
    EXPECT_GE(t.tokens, 1u);
    EXPECT_LE(t.tokens, 40u);
    response += t.tokens;
  }
  for (const auto& m : r.messages)
    if (m.role == "tool") tool += tok.encode(m.content).size();
  EXPECT_EQ(r.response_tokens, response);
  EXPECT_EQ(r.tool_tokens, tool);
  // Each turn re-reads the conversation so far: its prompt is the rendered messages before it.
  size_t assistant = 0;
  for (size_t i = 0; i < r.messages.size(); ++i) {
    if (r.messages[i].role != "assistant") continue;
    std::vector<ChatMessage> before(r.messages.begin(), r.messages.begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_EQ(r.turns[assistant].note["prompt_tokens"].get<size_t>(),
              tok.encode(render_chatml(before, tools.tools().schemas, true)).size());
    ++assistant;
  }

  auto st = policy->stats();
  EXPECT_EQ(st.turns, r.turns.size());
  EXPECT_EQ(st.generated_tokens, r.response_tokens);
  EXPECT_GT(st.prefill_seconds, 0.0);
  EXPECT_GT(st.decode_seconds, 0.0);
}

TEST_F(ModelPolicyTest, SameSeedSameEpisodeOtherSeedOtherTurns) {
  auto a = run(*open_or_die(tiny_options(7)));
  auto b = run(*open_or_die(tiny_options(7)));
  auto c = run(*open_or_die(tiny_options(8)));
  ASSERT_EQ(a.messages.size(), b.messages.size());
  for (size_t i = 0; i < a.messages.size(); ++i) EXPECT_EQ(a.messages[i].content, b.messages[i].content) << i;
  ASSERT_GE(c.messages.size(), 3u);
  EXPECT_NE(a.messages[2].content, c.messages[2].content);
}

TEST_F(ModelPolicyTest, ForcedTurnIsDecodedThroughTheModelAndStopsAtTheStopString) {
  auto policy = open_or_die(tiny_options());
  std::vector<ChatMessage> messages = initial_messages(info);
  auto schemas = tools.tools().schemas;
  std::vector<EpisodeStep> steps;
  EpisodeState state{info, messages, schemas, steps, 200};
  const std::string answer = "<think>-Oz is safe</think>\n<answer>[\"-Oz\"]</answer>";
  auto r = policy->act_forced(state, answer + "\nnot reached");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->text, answer);
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_EQ(r->note["stop"], "</answer>");
  EXPECT_EQ(*r->tokens, policy->tokenizer().encode(answer).size());
  EXPECT_EQ(policy->stats().generated_tokens, *r->tokens);

  // Without a stop string, the forced turn ends with <|im_end|> (a stop token, not part of the text).
  auto plain = policy->act_forced(state, "<think>hm</think>");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->text, "<think>hm</think>");
  EXPECT_EQ(plain->note["finish"], "stop_token");
  EXPECT_EQ(*plain->tokens, policy->tokenizer().encode("<think>hm</think>").size() + 1);

  // A turn limit cuts the forced text like a sampled one.
  EpisodeState tight{info, messages, schemas, steps, 3};
  auto cut = policy->act_forced(tight, answer);
  ASSERT_TRUE(cut) << cut.error().message;
  EXPECT_EQ(*cut->tokens, 3u);
  EXPECT_EQ(cut->finish_reason, "length");
}

TEST_F(ModelPolicyTest, ConcurrentEpisodesAreBatched) {
  auto policy = open_or_die(tiny_options());
  std::vector<EpisodeJob> jobs;
  for (const char* f : {"numeric/primes.c", "numeric/fixedpoint.c", "sorting/bsearch.c", "strings/rle.c"}) {
    fs::path file = cr1::test::source_dir() / "data/sample" / f;
    std::string name = fs::path(f).stem().string() + ".bc";
    tools.add(name, file);
    EpisodeJob j;
    j.program = test::info_of(cr1::test::load_or_die(file), name);
    j.load = [file]() -> Expected<ir::Program> { return cr1::test::load_or_die(file); };
    jobs.push_back(std::move(j));
  }
  cr1::test::TempDir dir;
  BatchOptions b;
  b.parallel = 4;
  b.progress = false;
  b.episode = test::short_episodes(40);
  ASSERT_TRUE(use_exact_token_counts(b.episode, *policy));
  b.verifier.pool.jobs = 1;
  auto s = run_episodes(jobs, *policy, tools.tools(), b, dir.path / "episodes.jsonl");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->done, 4u);
  EXPECT_TRUE(s->errors.empty());
  std::ifstream in(dir.path / "episodes.jsonl");
  size_t lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    auto j = nlohmann::json::parse(line);
    EXPECT_NE(j["end_reason"], "policy_error") << j.value("policy_error", "");
    EXPECT_TRUE(j["tokens"]["exact"].get<bool>());
  }
  EXPECT_EQ(lines, 4u);
  auto st = policy->stats();
  EXPECT_GE(st.largest_batch, 2u) << "turns " << st.turns << ", model calls " << st.batches;
  EXPECT_LT(st.batches, st.turns);
}

TEST_F(ModelPolicyTest, ContextTooSmallIsAClearPolicyError) {
  auto o = tiny_options();
  o.max_context = 0;  // the fixture's 256 positions: the first prompt does not fit
  auto policy = open_or_die(o);
  auto r = run(*policy);
  EXPECT_EQ(r.end_reason, "policy_error");
  EXPECT_NE(r.policy_error.find("context 256 positions"), std::string::npos) << r.policy_error;
  EXPECT_TRUE(r.fell_back_to_oz);
}

TEST(ModelPolicyOpen, BadModelFoldersAreClearErrors) {
  if (!ModelPolicy::available()) GTEST_SKIP() << "built without libtorch";
  cr1::test::TempDir dir;
  ModelPolicyOptions o;
  o.model_dir = dir.path / "missing";
  auto missing = ModelPolicy::open(o);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  EXPECT_NE(missing.error().message.find("missing: no such directory"), std::string::npos) << missing.error().message;

  o.model_dir = dir.path;
  auto no_config = ModelPolicy::open(o);
  ASSERT_FALSE(no_config);
  EXPECT_NE(no_config.error().message.find("no config.json"), std::string::npos) << no_config.error().message;

  fs::copy_file(tiny_model() / "config.json", dir.path / "config.json");
  auto no_tokenizer = ModelPolicy::open(o);
  ASSERT_FALSE(no_tokenizer);
  EXPECT_NE(no_tokenizer.error().message.find("no tokenizer.json"), std::string::npos) << no_tokenizer.error().message;

  fs::copy_file(tiny_model() / "tokenizer.json", dir.path / "tokenizer.json");
  auto no_weights = ModelPolicy::open(o);
  ASSERT_FALSE(no_weights);
  EXPECT_NE(no_weights.error().message.find(dir.path.string()), std::string::npos) << no_weights.error().message;

  std::ofstream(dir.path / "model.safetensors") << "not a safetensors file";
  auto bad_weights = ModelPolicy::open(o);
  ASSERT_FALSE(bad_weights);
  EXPECT_NE(bad_weights.error().message.find("safetensors"), std::string::npos) << bad_weights.error().message;

  o.model_dir = tiny_model();
  o.sampling.top_p = 0;
  auto bad_top_p = ModelPolicy::open(o);
  ASSERT_FALSE(bad_top_p);
  EXPECT_NE(bad_top_p.error().message.find("--top-p"), std::string::npos);
}

}  // namespace
}  // namespace cr1::agent
