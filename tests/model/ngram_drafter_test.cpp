// Drafts from n-gram statistics (model/ngram_drafter.h): the greedy walk over the most frequent next
// tokens, the longest known context first, pruning, the file format; and generation with the table,
// which gives the tokens of plain decoding with fewer forwards where the text follows the table.
#include "model/ngram_drafter.h"

#include <gtest/gtest.h>

#include "model/generation.h"
#include "model/language_model.h"
#include "model_test_helpers.h"
#include "util/atomic_file.h"

namespace cr1::model {
namespace {

using Seq = std::vector<TokenId>;

TEST(NgramDrafter, WalksTheMostFrequentNextTokens) {
  // (1, 2) is followed by 3 twice and by 9 once; (3, 4) by 5; (5, 6) by nothing known.
  const std::vector<Seq> seqs = {{1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5}, {7, 1, 2, 9}};
  auto d = NgramDrafter::build(seqs, {.max_ngram = 3, .min_ngram = 2, .min_count = 1});
  EXPECT_EQ(d.draft(Seq{8, 1, 2}, 8), Seq({3, 4, 5, 6}));  // the walk stops where nothing is known
  EXPECT_EQ(d.draft(Seq{8, 1, 2}, 2), Seq({3, 4}));
  // The longer context wins: (7, 1, 2) was followed by 9.
  EXPECT_EQ(d.draft(Seq{7, 1, 2}, 1), Seq({9}));
  EXPECT_TRUE(d.draft(Seq{4, 2}, 4).empty());   // unknown context
  EXPECT_TRUE(d.draft(Seq{2}, 4).empty());      // shorter than min_ngram
  EXPECT_TRUE(d.draft(Seq{1, 2}, 0).empty());
  // min_count: a context whose most frequent next token was seen once is dropped.
  auto pruned = NgramDrafter::build(seqs, {.max_ngram = 3, .min_ngram = 2, .min_count = 2});
  EXPECT_EQ(pruned.draft(Seq{7, 1, 2}, 1), Seq({3}));  // (7, 1, 2) -> 9 once: gone; (1, 2) -> 3 twice stays
  EXPECT_LT(pruned.size(), d.size());
  EXPECT_TRUE(NgramDrafter().draft(Seq{1, 2}, 3).empty());
}

TEST(NgramDrafter, SavesAndLoadsTheSameTable) {
  test::ScratchDir dir;
  const std::vector<Seq> seqs = {{1, 2, 3, 4, 5, 6, 1, 2, 3, 7}, {4, 5, 6, 1, 2}};
  auto d = NgramDrafter::build(seqs, {.max_ngram = 4, .min_ngram = 1, .min_count = 1});
  ASSERT_TRUE(d.save(dir.path / "drafts.bin"));
  auto back = NgramDrafter::load(dir.path / "drafts.bin");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->size(), d.size());
  EXPECT_EQ(back->max_ngram(), 4);
  EXPECT_EQ(back->min_ngram(), 1);
  for (const Seq& q : {Seq{1}, Seq{1, 2}, Seq{5, 6}, Seq{9}, Seq{2, 3, 4}})
    EXPECT_EQ(back->draft(q, 6), d.draft(q, 6));
  // The same table gives the same bytes.
  ASSERT_TRUE(back->save(dir.path / "again.bin"));
  EXPECT_EQ(*read_file(dir.path / "again.bin"), *read_file(dir.path / "drafts.bin"));
  // Anything else is refused with one line naming the file.
  ASSERT_TRUE(write_file_atomically(dir.path / "junk.bin", "not a table"));
  auto junk = NgramDrafter::load(dir.path / "junk.bin");
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(junk.error().message.find("junk.bin"), std::string::npos);
  const std::string whole = *read_file(dir.path / "drafts.bin");
  ASSERT_TRUE(write_file_atomically(dir.path / "cut.bin", whole.substr(0, whole.size() - 3)));
  EXPECT_FALSE(NgramDrafter::load(dir.path / "cut.bin"));
  EXPECT_EQ(NgramDrafter::load(dir.path / "missing.bin").error().kind, ErrorKind::not_found);
}

TEST(NgramDrafter, GenerationWithTheTableEqualsPlainDecodingInFewerForwards) {
  // The table is built from what the model writes greedily, as a fine-tuned model's table is built
  // from the text it was trained to write.
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 91);
  const Seq prompt = {5, 17, 3, 22, 9, 40, 13};
  GenerationOptions o;
  o.sampling.greedy = true;
  o.max_new_tokens = 48;
  auto plain = generate(m, {prompt}, o)[0];
  auto table = std::make_shared<const NgramDrafter>(
      NgramDrafter::build(std::vector<Seq>{plain.tokens}, {.max_ngram = 4, .min_ngram = 2, .min_count = 1}));
  o.lookup_draft_tokens = 8;
  o.ngram_drafter = table;
  auto spec = generate(m, {prompt}, o)[0];
  EXPECT_EQ(spec.tokens, plain.tokens);
  EXPECT_EQ(spec.decode_forwards + spec.accepted_tokens, 47);
  o.ngram_drafter = nullptr;  // prompt lookup alone
  auto lookup = generate(m, {prompt}, o)[0];
  EXPECT_EQ(lookup.tokens, plain.tokens);
  EXPECT_LT(spec.decode_forwards, lookup.decode_forwards);
  // Seeded sampling draws the same tokens with and without the table.
  o.sampling = {.temperature = 0.7, .top_k = 20, .top_p = 0.9, .repetition_penalty = 1.05};
  o.seed = 3;
  o.lookup_draft_tokens = 0;
  auto sampled = generate(m, {prompt}, o)[0];
  o.lookup_draft_tokens = 8;
  o.ngram_drafter = table;
  EXPECT_EQ(generate(m, {prompt}, o)[0].tokens, sampled.tokens);
}

}  // namespace
}  // namespace cr1::model
