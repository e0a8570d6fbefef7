// The BPE trainer: merges worked out by hand, the incremental pair counts against a trainer that
// recounts every pair after each merge, determinism, and train -> save -> load -> encode round trips.
#include "model/bpe_trainer.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "model/bpe_trainer_corpus.h"
#include "model/bpe_trainer_output.h"
#include "model/tokenizer.h"
#include "model/tokenizer_byte_level.h"
#include "model/tokenizer_chat_template.h"
#include "model/tokenizer_split_regex.h"
#include "model/unicode_utf8.h"
#include "test_support.h"

namespace cr1::model {
namespace {

BpeTrainer make_trainer(size_t vocab_size, uint64_t min_frequency = 2,
                        std::vector<AddedTokenSpec> added = default_added_tokens()) {
  BpeTrainerOptions o;
  o.vocab_size = vocab_size;
  o.min_frequency = min_frequency;
  o.added_tokens = std::move(added);
  auto t = BpeTrainer::create(o);
  if (!t) throw std::runtime_error(t.error().message);
  return std::move(*t);
}

BpeVocabulary train_on(const std::vector<std::string>& texts, size_t vocab_size, uint64_t min_frequency = 2,
                       std::vector<AddedTokenSpec> added = default_added_tokens()) {
  auto t = make_trainer(vocab_size, min_frequency, std::move(added));
  for (const auto& s : texts) EXPECT_TRUE(t.add_text(s));
  auto v = t.train();
  if (!v) throw std::runtime_error(v.error().message);
  return std::move(*v);
}

std::vector<std::string> merge_strings(const BpeVocabulary& v) {
  std::vector<std::string> out;
  for (auto [a, b] : v.merges) out.push_back(v.tokens[a] + " " + v.tokens[b]);
  return out;
}

// Agent-like text: words, JSON, pass flags, numbers, some non-ASCII; deterministic.
std::vector<std::string> sample_corpus(int n, uint32_t seed) {
  const char* words[] = {"the", "pass", "--instcombine", "--sroa", "instruction", "count", "reduces", "OverOz",
                         "\"name\":", "{\"filename\":", "12", "3.5%", "loop", "café", "编译", "\n", "  ", "<think>",
                         "</think>", "<|im_start|>", "assistant", "<|im_end|>", "--gvn", "TotalInsts"};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string s;
    int len = 5 + static_cast<int>(rng() % 30);
    for (int j = 0; j < len; ++j) {
      s += words[rng() % std::size(words)];
      if (rng() % 3) s += ' ';
    }
    out.push_back(s);
  }
  return out;
}

TEST(BpeTrainer, MergesWorkedOutByHand) {
  // Words: "ab", " ab" x2, " ac". Pair counts: (a,b) 3, (Ġ,a) 3, (a,c) 1. The tie goes to the smaller
  // ids: 'a' (64) < 'Ġ' (188). Then (Ġ,ab) 2; then every pair is below min_frequency 2.
  auto v = train_on({"ab ab ab ac"}, 1000, 2, {});
  EXPECT_EQ(merge_strings(v), (std::vector<std::string>{"a b", "Ġ ab"}));
  EXPECT_EQ(v.tokens.size(), 258u);
  EXPECT_EQ(v.tokens[256], "ab");
  EXPECT_EQ(v.tokens[257], "Ġab");
  // Bytes come first, in the order of their byte-level characters (as Qwen2's vocabulary).
  EXPECT_EQ(v.tokens[0], "!");
  EXPECT_EQ(v.tokens[64], "a");
  EXPECT_EQ(v.tokens[188], "Ā");
}

TEST(BpeTrainer, OverlappingPairsMergeLeftToRight) {
  // "aaaaa", " aaaaa" x2: (a,a) counts 4 per word; merged left to right each word becomes aa aa a,
  // so (aa,aa) and (aa,a) both count 3, and the tie goes to the smaller ids: (256, 64) = "aa a".
  auto v = train_on({"aaaaa aaaaa aaaaa"}, 1000, 2, {});
  ASSERT_GE(v.merges.size(), 2u);
  EXPECT_EQ(merge_strings(v)[0], "a a");
  EXPECT_EQ(merge_strings(v)[1], "aa a");
}

// The reference: recount every pair of every word before each merge.
std::vector<std::string> naive_merges(const std::vector<std::string>& texts, size_t max_merges, int64_t min_frequency) {
  auto re = SplitRegex::compile(kQwen2SplitPattern);
  std::map<std::string, int64_t> word_counts;
  for (const auto& t : texts) {
    std::vector<std::pair<size_t, size_t>> pieces;
    EXPECT_TRUE(re->split(t, pieces));
    for (auto [b, e] : pieces) word_counts[t.substr(b, e - b)]++;
  }
  std::vector<std::string> tokens;  // ids as the trainer assigns them
  std::map<std::string, int32_t> ids;
  std::vector<std::pair<char32_t, int>> order;
  for (int b = 0; b < 256; ++b) order.emplace_back(byte_level_char(static_cast<uint8_t>(b)), b);
  std::sort(order.begin(), order.end());
  std::array<int32_t, 256> byte_id{};
  for (int i = 0; i < 256; ++i) {
    byte_id[order[i].second] = i;
    tokens.push_back(byte_level_utf8()[order[i].second]);
    ids[tokens.back()] = i;
  }
  std::vector<std::pair<std::vector<int32_t>, int64_t>> words;
  for (const auto& [w, c] : word_counts) {
    std::vector<int32_t> s;
    for (char ch : w) s.push_back(byte_id[static_cast<uint8_t>(ch)]);
    words.emplace_back(s, c);
  }
  std::vector<std::string> merges;
  while (merges.size() < max_merges) {
    std::map<std::pair<int32_t, int32_t>, int64_t> counts;
    for (const auto& [s, c] : words)
      for (size_t i = 0; i + 1 < s.size(); ++i) counts[{s[i], s[i + 1]}] += c;
    std::pair<int32_t, int32_t> best{-1, -1};
    int64_t best_count = 0;
    for (const auto& [p, c] : counts)  // ascending pairs: the first of the highest count wins
      if (c > best_count) best = p, best_count = c;
    if (best_count < min_frequency) break;
    std::string spelled = tokens[best.first] + tokens[best.second];
    auto [it, fresh] = ids.emplace(spelled, static_cast<int32_t>(tokens.size()));
    if (fresh) tokens.push_back(spelled);
    merges.push_back(tokens[best.first] + " " + tokens[best.second]);
    for (auto& [s, c] : words) {
      std::vector<int32_t> out;
      for (size_t i = 0; i < s.size(); ++i)
        if (i + 1 < s.size() && s[i] == best.first && s[i + 1] == best.second) {
          out.push_back(it->second);
          ++i;
        } else {
          out.push_back(s[i]);
        }
      s = out;
    }
  }
  return merges;
}

TEST(BpeTrainer, IncrementalCountsMatchRecountingEveryMerge) {
  std::vector<std::string> texts = sample_corpus(60, 11);
  texts.push_back("aaaaaaa bbbb abababab aabbaabb");
  auto v = train_on(texts, 256 + 150, 2, {});
  auto expected = naive_merges(texts, v.merges.size() + 5, 2);
  EXPECT_EQ(merge_strings(v), expected);
  EXPECT_GT(v.merges.size(), 100u);
}

TEST(BpeTrainer, StopsAtTheRequestedSizeAndIsDeterministic) {
  auto texts = sample_corpus(200, 5);
  auto a = train_on(texts, 400);
  auto b = train_on(texts, 400);
  EXPECT_EQ(a.size(), 400u);
  EXPECT_EQ(a.added_tokens.size(), default_added_tokens().size());
  EXPECT_EQ(a.added_tokens.front().id, static_cast<int32_t>(a.tokens.size()));
  EXPECT_EQ(tokenizer_json(a), tokenizer_json(b));
}

TEST(BpeTrainer, AddedTokensAreCutOutOfTheCounts) {
  // "<think>" is everywhere, but as an added token it never becomes (part of) a learnt token.
  std::vector<std::string> texts(20, "<think><think><think>x</think>");
  auto v = train_on(texts, 1000);
  for (const auto& t : v.tokens) EXPECT_EQ(t.find("think"), std::string::npos) << t;
}

TEST(BpeTrainer, TrainSaveLoadEncodeRoundTrip) {
  auto texts = sample_corpus(300, 9);
  auto v = train_on(texts, 600);
  test::TempDir dir;
  ASSERT_TRUE(save_tokenizer(v, dir.path));
  for (const char* f : {"tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"})
    EXPECT_TRUE(std::filesystem::exists(dir.path / f)) << f;
  auto tok = Tokenizer::load(dir.path);
  ASSERT_TRUE(tok) << tok.error().message;
  EXPECT_EQ(tok->vocab_size(), static_cast<int32_t>(v.size()));
  EXPECT_GT(v.merges.size(), 150u);
  EXPECT_EQ(tok->merge_count(), v.merges.size());
  size_t bytes = 0, ids = 0;
  for (const auto& s : sample_corpus(50, 1234)) {
    auto e = tok->encode(s);
    EXPECT_EQ(tok->decode(e), s);
    EXPECT_EQ(tok->encode(s, {}, BpeAlgorithm::naive), e);
    EXPECT_EQ(tok->encode(s, {}, BpeAlgorithm::heap), e);
    bytes += s.size();
    ids += e.size();
  }
  EXPECT_LT(ids * 2, bytes) << "a trained vocabulary compresses text at least 2x on its own kind of text";
  auto im_start = tok->token_to_id("<|im_start|>");
  ASSERT_TRUE(im_start);
  EXPECT_TRUE(tok->is_special(*im_start));
  EXPECT_EQ(tok->encode("<|im_start|>").size(), 1u);
  EXPECT_FALSE(tok->is_special(*tok->token_to_id("<tool_call>")));
  // Every learnt token encodes to itself (each was made by a merge of the list).
  for (size_t id = 256; id < v.tokens.size(); ++id) {
    auto raw = from_byte_level(v.tokens[id]);
    ASSERT_TRUE(raw);
    if (is_valid_utf8(*raw) && raw->find_first_of("<") == std::string::npos) {
      auto e = tok->encode(*raw);
      EXPECT_EQ(tok->decode(e), *raw);
    }
  }
}

TEST(BpeTrainer, TokenizerConfigCarriesChatTemplateAndTokens) {
  auto v = train_on(sample_corpus(20, 2), 300);
  auto cfg = nlohmann::json::parse(tokenizer_config_json(v));
  EXPECT_EQ(cfg["tokenizer_class"], "Qwen2Tokenizer");
  EXPECT_EQ(cfg["eos_token"], "<|im_end|>");
  EXPECT_EQ(cfg["pad_token"], "<|endoftext|>");
  EXPECT_EQ(cfg["chat_template"], std::string(qwen25_chatml_template()));
  EXPECT_EQ(cfg["added_tokens_decoder"].size(), v.added_tokens.size());
  auto im_end = std::to_string(v.added_tokens[2].id);
  EXPECT_EQ(cfg["added_tokens_decoder"][im_end]["content"], "<|im_end|>");
  EXPECT_EQ(cfg["added_tokens_decoder"][im_end]["special"], true);
  auto tj = nlohmann::json::parse(tokenizer_json(v));
  EXPECT_EQ(tj["normalizer"]["type"], "NFC");
  EXPECT_EQ(tj["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"], std::string(kQwen2SplitPattern));
  EXPECT_EQ(tj["model"]["merges"][0].get<std::string>().find(' ') != std::string::npos, true);
}

TEST(BpeTrainer, RefusesBadOptions) {
  BpeTrainerOptions small;
  small.vocab_size = 260;
  auto a = BpeTrainer::create(small);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("vocab size 260 is below"), std::string::npos);
  BpeTrainerOptions dup;
  dup.added_tokens = {{"<x>", true}, {"<x>", false}};
  auto b = BpeTrainer::create(dup);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("'<x>' is listed twice"), std::string::npos);
  BpeTrainerOptions regex;
  regex.split_pattern = "[";
  EXPECT_FALSE(BpeTrainer::create(regex));
}

const char* kRecord = R"({"messages": [{"role": "system", "content": "Tune it."}, {"role": "user", "content": "a.c"},
 {"role": "assistant", "content": "<think>x</think>\n<tool_call>\n{\"name\": \"instrcount\"}\n</tool_call>"},
 {"role": "tool", "content": "{\"over_oz\": 1.5}"}, {"role": "tool", "content": "done"},
 {"role": "assistant", "content": null, "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"b": [1, 2], "a": "é"}}}]}],
 "tools": [{"type": "function", "function": {"name": "instrcount", "parameters": {"type": "object"}}}]})";

const char* kRendered =
    "<|im_start|>system\nTune it.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
    "{\"type\": \"function\", \"function\": {\"name\": \"instrcount\", \"parameters\": {\"type\": \"object\"}}}\n</tools>\n\n"
    "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML "
    "tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
    "<|im_start|>user\na.c<|im_end|>\n"
    "<|im_start|>assistant\n<think>x</think>\n<tool_call>\n{\"name\": \"instrcount\"}\n</tool_call><|im_end|>\n"
    "<|im_start|>user\n<tool_response>\n{\"over_oz\": 1.5}\n</tool_response>\n<tool_response>\ndone\n</tool_response><|im_end|>\n"
    "<|im_start|>assistant\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"b\": [1, 2], \"a\": \"é\"}}\n</tool_call><|im_end|>\n";

TEST(BpeTrainerCorpus, RendersConversationsAsChatMl) {
  auto r = render_training_conversation(nlohmann::ordered_json::parse(kRecord));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, kRendered);
  auto no_system = render_training_conversation(nlohmann::ordered_json::parse(R"({"messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(*no_system,
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nhi<|im_end|>\n");
}

// The chat template, run by Jinja2 the way transformers runs it, renders what the trainer trains on.
TEST(BpeTrainerCorpus, ChatTemplateRendersTheSameUnderJinja2) {
  auto probe = run_subprocess({"python3", "-c", "import jinja2"});
  if (!probe.success()) GTEST_SKIP() << "python3 with jinja2 is not installed";
  test::TempDir dir;
  auto tmpl = dir.file("template.jinja", std::string(qwen25_chatml_template()));
  auto rec = dir.file("record.json", kRecord);
  const char* script = R"(
import json, sys, jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.filters["tojson"] = lambda x, indent=None, separators=None, sort_keys=False: json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)
t = env.from_string(open(sys.argv[1], encoding="utf-8").read())
r = json.load(open(sys.argv[2], encoding="utf-8"))
sys.stdout.write(t.render(messages=r["messages"], tools=r.get("tools"), add_generation_prompt=sys.argv[3] == "1"))
)";
  auto out = run_subprocess({"python3", "-c", script, tmpl.string(), rec.string(), "1"});
  ASSERT_TRUE(out.success()) << out.err;
  EXPECT_EQ(out.out, std::string(kRendered) + "<|im_start|>assistant\n");
  auto plain = dir.file("plain.json", R"({"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]})");
  auto out2 = run_subprocess({"python3", "-c", script, tmpl.string(), plain.string(), "0"});
  ASSERT_TRUE(out2.success()) << out2.err;
  auto expected = render_training_conversation(nlohmann::ordered_json::parse(*read_file(plain)));
  EXPECT_EQ(out2.out, *expected);
}

TEST(BpeTrainerCorpus, ReadsJsonlAndPlainTextAndNamesBadLines) {
  test::TempDir dir;
  auto jsonl = dir.file("t.jsonl", nlohmann::ordered_json::parse(kRecord).dump() + "\n\n{\"text\": \"plain record\"}\n");
  std::vector<std::string> got;
  auto sink = [&](std::string_view s) {
    got.emplace_back(s);
    return ok_status();
  };
  ASSERT_TRUE(read_training_texts(jsonl, CorpusFormat::automatic, sink));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], kRendered);
  EXPECT_EQ(got[1], "plain record");

  got.clear();
  std::string big;
  for (int i = 0; i < 100000; ++i) big += "line " + std::to_string(i) + "\n\n";
  auto txt = dir.file("big.txt", big);
  ASSERT_TRUE(read_training_texts(txt, CorpusFormat::automatic, sink));
  EXPECT_GT(got.size(), 1u);  // read in pieces...
  std::string joined;
  for (const auto& g : got) joined += g;
  EXPECT_EQ(joined, big);  // ...that add up to the file
  for (size_t i = 0; i + 1 < got.size(); ++i) EXPECT_EQ(got[i].substr(got[i].size() - 2), "\n\n");

  auto bad = dir.file("bad.jsonl", "{\"text\": \"ok\"}\n{\"messages\": 3}\n");
  auto st = read_training_texts(bad, CorpusFormat::automatic, sink);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("bad.jsonl:2: "), std::string::npos) << st.error().message;
  auto garbage = dir.file("g.jsonl", "not json\n");
  auto st2 = read_training_texts(garbage, CorpusFormat::jsonl, sink);
  ASSERT_FALSE(st2);
  EXPECT_NE(st2.error().message.find("g.jsonl:1: not a JSON object"), std::string::npos);
  EXPECT_FALSE(read_training_texts(dir.path / "missing.txt", CorpusFormat::text, sink));
}

}  // namespace
}  // namespace cr1::model
