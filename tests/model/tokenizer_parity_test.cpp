// Parity with HF tokenizers: tests/fixtures/qwen2-tiny/tokenizer_cases.json holds texts with the ids,
// tokens and decodes that HF tokenizers 0.23 produced for them (made by scripts/make_parity_fixtures.py),
// for a byte-level BPE with Qwen2's normalizer, split regex and added tokens.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "model/tokenizer.h"
#include "model/tokenizer_stream_decoder.h"
#include "test_support.h"

namespace cr1::model {
namespace {

std::filesystem::path fixture_dir() { return test::source_dir() / "tests/fixtures/qwen2-tiny"; }

nlohmann::json load_cases() {
  auto text = read_file(fixture_dir() / "tokenizer_cases.json");
  if (!text) throw std::runtime_error(text.error().message);
  return nlohmann::json::parse(*text)["cases"];
}

Tokenizer load_fixture_tokenizer() {
  auto tok = Tokenizer::load(fixture_dir());
  if (!tok) throw std::runtime_error(tok.error().message);
  return std::move(*tok);
}

TEST(TokenizerParity, FixtureHasCases) {
  auto cases = load_cases();
  EXPECT_GE(cases.size(), 30u);
  auto tok = load_fixture_tokenizer();
  EXPECT_EQ(tok.vocab_size(), 978);
  EXPECT_EQ(tok.normal_form(), NormalForm::nfc);
  ASSERT_EQ(tok.split_patterns().size(), 1u);
  EXPECT_NE(tok.split_patterns()[0].find("\\p{L}"), std::string::npos);
}

TEST(TokenizerParity, EncodeGivesHfIdsAndTokens) {
  auto tok = load_fixture_tokenizer();
  for (const auto& c : load_cases()) {
    std::string text = c["text"];
    auto expected = c["ids"].get<std::vector<int32_t>>();
    for (auto algo : {BpeAlgorithm::cached, BpeAlgorithm::uncached, BpeAlgorithm::heap, BpeAlgorithm::naive})
      EXPECT_EQ(tok.encode(text, {}, algo), expected) << "text: " << nlohmann::json(text).dump();
    auto tokens = c["tokens"].get<std::vector<std::string>>();
    ASSERT_EQ(tokens.size(), expected.size());
    for (size_t i = 0; i < tokens.size(); ++i) EXPECT_EQ(tok.id_to_token(expected[i]), tokens[i]);
  }
}

TEST(TokenizerParity, DecodeGivesHfText) {
  auto tok = load_fixture_tokenizer();
  for (const auto& c : load_cases()) {
    auto ids = c["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(tok.decode(ids, false), c["decoded"].get<std::string>()) << nlohmann::json(c["text"]).dump();
    EXPECT_EQ(tok.decode(ids, true), c["decoded_skip_special"].get<std::string>()) << nlohmann::json(c["text"]).dump();
  }
}

TEST(TokenizerParity, StreamingDecodeEqualsDecode) {
  auto tok = load_fixture_tokenizer();
  for (const auto& c : load_cases()) {
    auto ids = c["ids"].get<std::vector<int32_t>>();
    for (bool skip : {false, true}) {
      StreamDecoder dec(tok, skip);
      std::string streamed;
      for (int32_t id : ids) streamed += dec.push(id);
      streamed += dec.finish();
      EXPECT_EQ(streamed, tok.decode(ids, skip));
    }
  }
}

TEST(TokenizerParity, ShardedAndTiedCheckpointsShareTheTokenizer) {
  auto base = load_fixture_tokenizer();
  for (const char* dir : {"qwen2-tiny-sharded", "qwen2-tiny-tied"}) {
    auto tok = Tokenizer::load(test::source_dir() / "tests/fixtures" / dir);
    ASSERT_TRUE(tok) << tok.error().message;
    for (const auto& c : load_cases()) EXPECT_EQ(tok->encode(c["text"].get<std::string>()), base.encode(c["text"].get<std::string>()));
  }
}

// The server encodes from several threads at once: each thread has its own word cache, and results
// must not depend on what other threads are doing.
TEST(TokenizerParity, ConcurrentEncodesGiveTheSameIds) {
  auto tok = load_fixture_tokenizer();
  auto cases = load_cases();
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> expected;
  for (const auto& c : cases) {
    texts.push_back(c["text"]);
    expected.push_back(c["ids"].get<std::vector<int32_t>>());
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round)
        for (size_t i = 0; i < texts.size(); ++i) {
          size_t k = (i + static_cast<size_t>(t) * 7) % texts.size();
          if (tok.encode(texts[k]) != expected[k]) ++wrong;
        }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace cr1::model
