// The n-gram draft table of SFT trajectories (agent/sft_draft_table.h) and the model policy drafting
// from it: built from the assistant turns of episode records; bad records refused with file and line;
// a model folder's ngram_drafts.bin is loaded by ModelPolicy::open, and a turn the table knows needs
// fewer forwards while every turn stays what plain decoding writes.
#include "agent/sft_draft_table.h"

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/prompt.h"
#include "model/tokenizer.h"
#include "model_policy_test_support.h"
#include "util/atomic_file.h"

namespace cr1::agent {
namespace {

namespace fs = std::filesystem;

const std::string kCall =
    "<think>The proposal beats -Oz; measure it.</think>\n<tool_call>\n{\"name\": \"instrcount\", \"arguments\": "
    "{\"filename\": \"matrix.bc\", \"optimization_flags\": [\"--sroa\", \"--instcombine\", \"--simplifycfg\", "
    "\"--gvn\", \"--dse\", \"--adce\"]}}\n</tool_call>";
const std::string kAnswer = "<think>It beats -Oz. Answer with it.</think>\n<answer>[\"--sroa\", \"--gvn\"]</answer>";

fs::path tiny_dir() { return cr1::test::source_dir() / "tests/fixtures/qwen2-tiny"; }

std::string record(const std::vector<std::pair<std::string, std::string>>& messages) {
  nlohmann::json j;
  j["messages"] = nlohmann::json::array();
  for (const auto& [role, content] : messages) j["messages"].push_back({{"role", role}, {"content", content}});
  return j.dump() + "\n";
}

TEST(SftDraftTable, CountsTheAssistantTurnsOfTheRecords) {
  auto tok = model::Tokenizer::load(tiny_dir());
  ASSERT_TRUE(tok) << tok.error().message;
  cr1::test::TempDir dir;
  const std::string one = record({{"system", "s"}, {"user", "u"}, {"assistant", kCall}, {"tool", "{}"}, {"assistant", kAnswer}});
  const std::string two = record({{"user", "u"}, {"assistant", kCall}});
  const auto file = dir.file("sft.jsonl", one + two + one);
  auto t = build_sft_draft_table({file}, *tok, {.ngrams = {.max_ngram = 4, .min_ngram = 2, .min_count = 2}});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->trajectories, 3u);
  EXPECT_EQ(t->turns, 5u);
  EXPECT_EQ(t->tokens, 3 * tok->encode(kCall).size() + 2 * tok->encode(kAnswer).size());
  EXPECT_GT(t->drafter.size(), 0u);
  // The call, seen three times, is drafted from its start once its first tokens are known.
  const auto call = tok->encode(kCall);
  const auto d = t->drafter.draft(std::span(call).first(4), 6);
  EXPECT_EQ(d, std::vector<model::TokenId>(call.begin() + 4, call.begin() + 10));
  // Only the first record.
  auto first = build_sft_draft_table({file}, *tok, {.max_trajectories = 1});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->trajectories, 1u);
  EXPECT_EQ(first->turns, 2u);

  const auto bad = dir.file("bad.jsonl", one + "{\"no\": 1}\n");
  auto e = build_sft_draft_table({bad}, *tok, {});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(e.error().message.find("bad.jsonl:2"), std::string::npos) << e.error().message;
  EXPECT_EQ(build_sft_draft_table({dir.path / "none.jsonl"}, *tok, {}).error().kind, ErrorKind::not_found);
}

struct ModelPolicyDraftTableTest : test::MatrixEpisodeTest {
  void SetUp() override {
    test::MatrixEpisodeTest::SetUp();
    if (IsSkipped()) return;
    for (const auto& e : fs::directory_iterator(tiny_dir())) fs::copy(e.path(), model.path / e.path().filename());
    auto tok = model::Tokenizer::load(tiny_dir());
    ASSERT_TRUE(tok);
    const auto sft = model.file("sft.jsonl", record({{"assistant", kCall}, {"assistant", kAnswer}}));
    auto t = build_sft_draft_table({sft}, *tok, {.ngrams = {.min_count = 1}});
    ASSERT_TRUE(t);
    ASSERT_TRUE(t->drafter.save(model.path / kNgramDraftsFile));
  }
  ModelPolicyOptions options(bool with_table) {
    ModelPolicyOptions o = test::tiny_model_options(7);
    o.sampling.greedy = true;
    o.model_dir = with_table ? model.path : tiny_dir();
    return o;
  }
  cr1::test::TempDir model;
};

TEST_F(ModelPolicyDraftTableTest, AModelFoldersTableMakesAKnownTurnCheaper) {
  auto forced_forwards = [&](bool with_table) {
    auto policy = ModelPolicy::open(options(with_table));
    EXPECT_TRUE(policy) << policy.error().message;
    auto messages = initial_messages(info);
    std::vector<EpisodeStep> steps;
    EpisodeState s{info, messages, tools.tools().schemas, steps, 400};
    auto r = (*policy)->act_forced(s, kCall);
    EXPECT_TRUE(r && r->text == kCall);
    const auto st = (*policy)->stats();
    EXPECT_EQ(st.decode_forwards + st.accepted_tokens, st.generated_tokens - 1);
    return st.decode_forwards;
  };
  EXPECT_LT(forced_forwards(true), forced_forwards(false));
}

TEST_F(ModelPolicyDraftTableTest, EpisodesAreThoseOfPlainDecoding) {
  auto with = ModelPolicy::open(options(true));
  auto plain_options = options(false);
  plain_options.lookup_draft_tokens = 0;
  auto plain = ModelPolicy::open(plain_options);
  ASSERT_TRUE(with && plain);
  auto a = run_matrix_episode(**with, test::short_episodes(40)), b = run_matrix_episode(**plain, test::short_episodes(40));
  ASSERT_EQ(a.messages.size(), b.messages.size());
  for (size_t i = 0; i < a.messages.size(); ++i) EXPECT_EQ(a.messages[i].content, b.messages[i].content) << i;
}

TEST_F(ModelPolicyDraftTableTest, ABrokenTableIsRefusedWhenTheModelOpens) {
  ASSERT_TRUE(write_file_atomically(model.path / kNgramDraftsFile, "garbage"));
  auto policy = ModelPolicy::open(options(true));
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(policy.error().message.find(kNgramDraftsFile), std::string::npos) << policy.error().message;
}

}  // namespace
}  // namespace cr1::agent
