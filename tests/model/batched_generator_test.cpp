// The batching queue on a real (tiny, random) model: concurrent requests are merged into fewer model
// calls, and each request still gets exactly the tokens it would get alone.
#include "model/batched_generator.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "model/language_model.h"
#include "model_test_helpers.h"

namespace cr1::model {
namespace {

std::vector<TokenId> prompt_for(int i) {
  std::vector<TokenId> p;
  for (int k = 0; k < 3 + i % 7; ++k) p.push_back(static_cast<TokenId>((i * 7 + k * 3) % 50));
  return p;
}

// Varied settings, so that one batch mixes greedy and sampled rows, lengths, stops and seeds.
GenerationOptions options_for(int i) {
  GenerationOptions o;
  o.max_new_tokens = 4 + i % 9;
  o.seed = 100 + static_cast<uint64_t>(i);
  if (i % 3 == 0) o.sampling.greedy = true;
  else o.sampling.temperature = 0.7 + 0.1 * (i % 4);
  if (i % 4 == 1) o.sampling.top_k = 10;
  if (i % 5 == 2) o.sampling.top_p = 0.9;
  if (i % 2 == 1) o.sampling.repetition_penalty = 1.1;
  if (i % 6 == 5) o.stop_token_ids = {7, 11};
  return o;
}

LanguageModel tiny_model() {
  auto lm = LanguageModel::create(test::tiny_config(), 5);
  if (!lm) throw std::runtime_error(lm.error().message);
  return std::move(*lm);
}

TEST(GenerateRows, OneRowEqualsGenerate) {
  auto lm = tiny_model();
  for (int i = 0; i < 6; ++i) {
    auto alone = lm.generate({prompt_for(i)}, options_for(i));
    auto row = lm.generate_rows({prompt_for(i)}, {options_for(i)});
    ASSERT_TRUE(alone && row);
    EXPECT_EQ((*row)[0].tokens, (*alone)[0].tokens) << i;
    EXPECT_EQ((*row)[0].finish, (*alone)[0].finish) << i;
  }
}

TEST(GenerateRows, EachRowIsWhatItWouldBeAlone) {
  auto lm = tiny_model();
  std::vector<std::vector<TokenId>> prompts;
  std::vector<GenerationOptions> options;
  for (int i = 0; i < 12; ++i) {
    prompts.push_back(prompt_for(i));
    options.push_back(options_for(i));
  }
  options[4].max_new_tokens = 0;  // takes no part, gets nothing
  auto batch = lm.generate_rows(prompts, options);
  ASSERT_TRUE(batch) << batch.error().message;
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto alone = lm.generate_rows({prompts[i]}, {options[i]});
    ASSERT_TRUE(alone);
    EXPECT_EQ((*batch)[i].tokens, (*alone)[0].tokens) << i;
    EXPECT_EQ((*batch)[i].finish, (*alone)[0].finish) << i;
    if ((*batch)[i].finish == FinishReason::length) {
      EXPECT_EQ((*batch)[i].tokens.size(), static_cast<size_t>(options[i].max_new_tokens)) << i;
    }
  }
  EXPECT_TRUE((*batch)[4].tokens.empty());
  auto mismatch = lm.generate_rows(prompts, {options[0]});
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().kind, ErrorKind::invalid_input);
}

TEST(BatchedGenerator, ConcurrentRequestsAreMergedAndEachGetsItsOwnTokens) {
  constexpr int kClients = 16;
  auto lm = tiny_model();
  std::vector<std::vector<TokenId>> want(kClients);
  for (int i = 0; i < kClients; ++i) want[i] = (*lm.generate({prompt_for(i)}, options_for(i)))[0].tokens;

  BatchedGenerator gen(lm, {}, {.max_batch = 8, .window = std::chrono::milliseconds(50)});
  std::vector<std::vector<TokenId>> got(kClients), streamed(kClients);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i)
    threads.emplace_back([&, i] {
      auto o = options_for(i);
      o.on_token = [&, i](size_t row, TokenId t) {
        if (row != 0) ++failures;
        streamed[i].push_back(t);
      };
      auto r = gen.generate(prompt_for(i), o);
      if (!r) ++failures;
      else got[i] = r->tokens;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(got[i], want[i]) << i;
    EXPECT_EQ(streamed[i], got[i]) << i;
  }
  auto s = gen.stats();
  EXPECT_EQ(s.requests, static_cast<uint64_t>(kClients));
  EXPECT_LT(s.batches, static_cast<uint64_t>(kClients));
  EXPECT_GT(s.largest_batch, 1u);
  EXPECT_LE(s.largest_batch, 8u);
}

TEST(BatchedGenerator, ABadRequestIsRefusedAloneAndAThrowingCallbackIsContained) {
  auto lm = tiny_model();
  BatchedGenerator gen(lm, {}, {.max_batch = 4, .window = std::chrono::milliseconds(20)});
  auto good = gen.submit(prompt_for(1), options_for(1));
  auto oov = gen.submit({1, 50}, options_for(2));
  auto empty = gen.submit({}, options_for(2));
  GenerationOptions too_long = options_for(3);
  too_long.max_new_tokens = 1000;
  auto past_positions = gen.submit({1, 2}, too_long);
  GenerationOptions with_stop = options_for(4);
  with_stop.stop_strings = {"x"};
  auto no_decoder = gen.submit({1, 2}, with_stop);
  GenerationOptions throwing = options_for(0);
  int calls = 0;
  throwing.on_token = [&](size_t, TokenId) {
    ++calls;
    throw std::runtime_error("client went away");
  };
  auto thrown = gen.submit(prompt_for(0), throwing);

  auto g = good.get();
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->tokens, (*lm.generate({prompt_for(1)}, options_for(1)))[0].tokens);
  auto t = thrown.get();
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->tokens, (*lm.generate({prompt_for(0)}, options_for(0)))[0].tokens);
  EXPECT_EQ(calls, 1);
  for (auto* f : {&oov, &empty, &past_positions, &no_decoder}) {
    auto r = f->get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::invalid_input) << r.error().message;
  }
  GenerationOptions nothing;
  nothing.max_new_tokens = 0;
  auto none = gen.generate({1}, nothing);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->tokens.empty());
}

TEST(BatchedGenerator, SameSeedSameTokensWhateverTheBatch) {
  auto lm = tiny_model();
  GenerationOptions o;
  o.sampling.temperature = 1.0;
  o.max_new_tokens = 12;
  o.seed = 42;
  BatchedGenerator gen(lm, {}, {.max_batch = 16, .window = std::chrono::milliseconds(30)});
  auto alone = gen.generate({3, 4, 5}, o);
  ASSERT_TRUE(alone);
  std::vector<std::future<Expected<GenerationResult>>> crowd;
  for (int i = 0; i < 6; ++i) crowd.push_back(gen.submit(prompt_for(i), options_for(i)));
  auto together = gen.submit({3, 4, 5}, o);
  for (auto& f : crowd) ASSERT_TRUE(f.get());
  auto t = together.get();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->tokens, alone->tokens);
  o.seed = 43;
  EXPECT_NE(gen.generate({3, 4, 5}, o)->tokens, alone->tokens);
}

TEST(BatchedGenerator, ShutsDownWithWorkQueued) {
  auto lm = tiny_model();
  std::vector<std::future<Expected<GenerationResult>>> futures;
  {
    BatchedGenerator gen(lm, {}, {.max_batch = 1, .window = std::chrono::microseconds(0)});
    for (int i = 0; i < 8; ++i) futures.push_back(gen.submit(prompt_for(i), options_for(i)));
  }
  // Every request is answered: with tokens, or with the shutdown error.
  int answered = 0;
  for (auto& f : futures) {
    auto r = f.get();
    answered += r.ok() || r.error().message.find("shutting down") != std::string::npos;
  }
  EXPECT_EQ(answered, 8);
}

}  // namespace
}  // namespace cr1::model
