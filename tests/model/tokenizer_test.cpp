// Tokenizer units on hand-made tokenizer.json files whose merges are small enough to work out by hand.
#include "model/tokenizer.h"

#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "model/bpe_trainer.h"
#include "model/tokenizer_byte_level.h"
#include "model/tokenizer_stream_decoder.h"
#include "model/unicode_utf8.h"
#include "test_support.h"

namespace cr1::model {
namespace {

using nlohmann::json;

// Ids 0..255 are the bytes (id == byte value), then one token per merge.
struct Spec {
  std::vector<std::pair<std::string, std::string>> merges;  // byte-level strings
  json added = json::array();
  json normalizer = {{"type", "NFC"}};
  json pre_tokenizer;
  bool list_merges = false;
};

json qwen_pre_tokenizer() {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"}, {"pattern", {{"Regex", std::string(kQwen2SplitPattern)}}}, {"behavior", "Isolated"}, {"invert", false}},
            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}}}};
}

json make_json(const Spec& s) {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_level_utf8()[b]] = b;
  int next = 256;
  json merges = json::array();
  for (const auto& [a, b] : s.merges) {
    if (!vocab.contains(a + b)) vocab[a + b] = next++;
    merges.push_back(s.list_merges ? json::array({a, b}) : json(a + " " + b));
  }
  return {{"version", "1.0"},
          {"added_tokens", s.added},
          {"normalizer", s.normalizer},
          {"pre_tokenizer", s.pre_tokenizer.is_null() ? qwen_pre_tokenizer() : s.pre_tokenizer},
          {"post_processor", nullptr},
          {"decoder", {{"type", "ByteLevel"}}},
          {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"vocab", vocab}, {"merges", merges}}}};
}

Tokenizer make(const Spec& s) {
  auto t = Tokenizer::from_json(make_json(s).dump(), "test");
  if (!t) throw std::runtime_error(t.error().message);
  return std::move(*t);
}

json added_token(int id, const std::string& content, bool special, json flags = json::object()) {
  json j = {{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
            {"normalized", false}, {"special", special}};
  j.update(flags);
  return j;
}

std::vector<int32_t> bytes_of(std::string_view s) {
  std::vector<int32_t> out;
  for (char c : s) out.push_back(static_cast<uint8_t>(c));
  return out;
}

int32_t id_of(const Tokenizer& t, const std::string& byte_level) { return t.token_to_id(byte_level).value_or(-1); }

std::vector<std::pair<std::string, std::string>> hello_merges() {
  return {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"Ġ", "w"}, {"o", "r"}, {"Ġw", "or"}, {"o", "Ġ"}};
}

TEST(Tokenizer, MergesByRankWithinWords) {
  for (bool list : {false, true}) {
    Spec s;
    s.merges = hello_merges();
    s.list_merges = list;
    auto t = make(s);
    // "hello" | " world": the split keeps "o Ġ" from merging across the two words.
    std::vector<int32_t> expected = {id_of(t, "hello"), id_of(t, "Ġwor"), 'l', 'd'};
    EXPECT_EQ(t.encode("hello world"), expected) << (list ? "list merges" : "string merges");
    EXPECT_EQ(t.decode(expected), "hello world");
    EXPECT_EQ(t.merge_count(), 8u);
  }
}

TEST(Tokenizer, LowerRankWinsAndEqualRanksGoLeftFirst) {
  Spec bc_first;
  bc_first.merges = {{"b", "c"}, {"a", "b"}};
  auto t1 = make(bc_first);
  EXPECT_EQ(t1.encode("abc"), (std::vector<int32_t>{'a', id_of(t1, "bc")}));
  Spec ab_first;
  ab_first.merges = {{"a", "b"}, {"b", "c"}};
  auto t2 = make(ab_first);
  EXPECT_EQ(t2.encode("abc"), (std::vector<int32_t>{id_of(t2, "ab"), 'c'}));
  Spec aa;
  aa.merges = {{"a", "a"}};
  auto t3 = make(aa);
  int32_t a2 = id_of(t3, "aa");
  EXPECT_EQ(t3.encode("aaa"), (std::vector<int32_t>{a2, 'a'}));
  EXPECT_EQ(t3.encode("aaaa"), (std::vector<int32_t>{a2, a2}));
  for (auto algo : {BpeAlgorithm::uncached, BpeAlgorithm::heap, BpeAlgorithm::naive}) EXPECT_EQ(t3.encode("aaaaa", {}, algo), (std::vector<int32_t>{a2, a2, 'a'}));
}

TEST(Tokenizer, SplitRegexFollowsQwen2Pattern) {
  Spec s;
  s.merges = {{"'", "s"}, {"'", "S"}, {"Ġ", "Ġ"}, {"1", "2"}, {"Ċ", "Ċ"}};
  auto t = make(s);
  // Contractions in any case are one piece; digits are single; "\n\n" stays one piece.
  EXPECT_EQ(t.encode("it's"), (std::vector<int32_t>{'i', 't', id_of(t, "'s")}));
  EXPECT_EQ(t.encode("IT'S"), (std::vector<int32_t>{'I', 'T', id_of(t, "'S")}));
  EXPECT_EQ(t.encode("12"), (std::vector<int32_t>{'1', '2'}));  // \p{N} one at a time: no "12"
  EXPECT_EQ(t.encode("a\n\nb"), (std::vector<int32_t>{'a', id_of(t, "ĊĊ"), 'b'}));
  // "\s+(?!\S)": of three spaces before a word, two stay together and the last joins the word.
  EXPECT_EQ(t.encode("a   b"), (std::vector<int32_t>{'a', id_of(t, "ĠĠ"), ' ', 'b'}));
}

TEST(Tokenizer, NormalizesToNfcBeforeSplitting) {
  Spec s;
  s.merges = {{"Ã", "©"}};  // é is C3 A9
  auto t = make(s);
  auto composed = t.encode("caf\xC3\xA9");
  EXPECT_EQ(t.encode("cafe\xCC\x81"), composed);  // e + U+0301
  EXPECT_EQ(composed.back(), id_of(t, "Ã©"));
  Spec none = s;
  none.normalizer = nullptr;
  EXPECT_NE(make(none).encode("cafe\xCC\x81"), composed);
}

TEST(Tokenizer, AddedTokensLongestMatchFirst) {
  Spec s;
  s.added = {added_token(300, "<|im_start|>", true), added_token(301, "<|im", false), added_token(302, "<tool_call>", false)};
  auto t = make(s);
  EXPECT_EQ(t.encode("<|im_start|>x"), (std::vector<int32_t>{300, 'x'}));
  auto partial = t.encode("<|im_end");
  EXPECT_EQ(partial.front(), 301);
  EXPECT_EQ(t.decode(partial), "<|im_end");
  EXPECT_EQ(t.encode("a<tool_call>b"), (std::vector<int32_t>{'a', 302, 'b'}));
  EXPECT_TRUE(t.is_special(300));
  EXPECT_FALSE(t.is_special(302));
  EXPECT_TRUE(t.is_added(302));
  EXPECT_EQ(t.vocab_size(), 303);
  EXPECT_EQ(t.token_to_id("<tool_call>"), 302);
  EXPECT_EQ(t.id_to_token(300), "<|im_start|>");
}

TEST(Tokenizer, SplitSpecialTokensEncodesThemAsText) {
  Spec s;
  s.added = {added_token(300, "<|im_end|>", true), added_token(301, "<think>", false)};
  auto t = make(s);
  EncodeOptions o;
  o.split_special_tokens = true;
  auto ids = t.encode("<|im_end|><think>", o);
  ASSERT_EQ(ids.back(), 301);
  ids.pop_back();
  EXPECT_EQ(t.decode(ids), "<|im_end|>");
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 300), 0);
}

TEST(Tokenizer, LstripRstripSwallowWhiteSpace) {
  Spec plain;
  plain.added = {added_token(300, "<mask>", true)};
  auto t0 = make(plain);
  EXPECT_EQ(t0.encode("a <mask> b"), (std::vector<int32_t>{'a', ' ', 300, ' ', 'b'}));
  Spec strip;
  strip.added = {added_token(300, "<mask>", true, {{"lstrip", true}, {"rstrip", true}})};
  auto t1 = make(strip);
  EXPECT_EQ(t1.encode("a \t<mask>  b"), (std::vector<int32_t>{'a', 300, 'b'}));
  EXPECT_EQ(t1.decode(t1.encode("a \t<mask>  b")), "a<mask>b");
}

TEST(Tokenizer, SingleWordTokensNeedWordBoundaries) {
  Spec s;
  s.added = {added_token(300, "ab", false, {{"single_word", true}})};
  auto t = make(s);
  EXPECT_EQ(t.encode("ab"), (std::vector<int32_t>{300}));
  EXPECT_EQ(t.encode("x ab."), (std::vector<int32_t>{'x', ' ', 300, '.'}));
  EXPECT_EQ(t.encode("xab"), bytes_of("xab"));
  EXPECT_EQ(t.encode("abc"), bytes_of("abc"));
}

TEST(Tokenizer, NormalizedAddedTokensMatchAfterNfc) {
  Spec s;
  s.added = {added_token(300, "caf\xC3\xA9", false, {{"normalized", true}})};
  auto t = make(s);
  EXPECT_EQ(t.encode("cafe\xCC\x81!"), (std::vector<int32_t>{300, '!'}));
  Spec raw;
  raw.added = {added_token(300, "caf\xC3\xA9", false)};
  EXPECT_NE(make(raw).encode("cafe\xCC\x81!").front(), 300);
}

TEST(Tokenizer, DecodeSkipsSpecialAndUnknownIdsAndRepairsUtf8) {
  Spec s;
  s.added = {added_token(300, "<|im_end|>", true), added_token(301, "<think>", false)};
  auto t = make(s);
  std::vector<int32_t> ids = {'h', 'i', 300, 301, 5000, -1};
  EXPECT_EQ(t.decode(ids), "hi<|im_end|><think>");
  EXPECT_EQ(t.decode(ids, true), "hi<think>");
  // Half of "🚀" (F0 9F 9A 80) is one maximal ill-formed subpart: one U+FFFD.
  EXPECT_EQ(t.decode(std::vector<int32_t>{0xF0, 0x9F, 'x'}), "\xEF\xBF\xBDx");
  EXPECT_EQ(t.decode(std::vector<int32_t>{0xF0, 0x9F, 0x9A, 0x80}), "\xF0\x9F\x9A\x80");
}

TEST(Tokenizer, InvalidUtf8InputIsEncodedAsReplacementCharacter) {
  auto t = make(Spec{});
  EXPECT_EQ(t.encode("a\xFF"), t.encode("a\xEF\xBF\xBD"));
}

TEST(Tokenizer, RoundTripsArbitraryUnicode) {
  Spec s;
  s.merges = hello_merges();
  auto t = make(s);
  std::mt19937 rng(7);
  const char32_t pool[] = {'a', 'Z', ' ', '\n', '\t', '7', '\'', '<', 0xE9, 0x4E2D, 0x1F680, 0x0416, 0x00A0, 0x2028, 0x1D518};
  for (int round = 0; round < 200; ++round) {
    std::string text;
    int n = std::uniform_int_distribution<int>(0, 40)(rng);
    for (int i = 0; i < n; ++i) append_utf8(text, pool[rng() % std::size(pool)]);
    auto ids = t.encode(text);
    EXPECT_EQ(t.decode(ids), text);
    EXPECT_EQ(t.encode(text, {}, BpeAlgorithm::naive), ids);
    EXPECT_EQ(t.encode(text, {}, BpeAlgorithm::heap), ids);
    EXPECT_EQ(t.encode(text, {}, BpeAlgorithm::uncached), ids);
  }
}

TEST(Tokenizer, StreamDecoderEmitsOnlyCompleteCharacters) {
  Spec s;
  s.added = {added_token(300, "<|im_end|>", true)};
  auto t = make(s);
  StreamDecoder d(t);
  EXPECT_EQ(d.push('a'), "a");
  EXPECT_EQ(d.push(0xF0), "");
  EXPECT_EQ(d.push(0x9F), "");
  EXPECT_EQ(d.pending_bytes(), 2u);
  EXPECT_EQ(d.push(0x9A), "");
  EXPECT_EQ(d.push(0x80), "\xF0\x9F\x9A\x80");
  EXPECT_EQ(d.push(300), "<|im_end|>");
  EXPECT_EQ(d.push(0xC3), "");
  EXPECT_EQ(d.push('x'), "\xEF\xBF\xBDx");  // C3 then a non-continuation: replaced at once
  EXPECT_EQ(d.push(0xE4), "");
  EXPECT_EQ(d.finish(), "\xEF\xBF\xBD");  // cut off at the end
  StreamDecoder skipping(t, true);
  EXPECT_EQ(skipping.push(300), "");
}

TEST(Tokenizer, StreamDecoderConcatenationEqualsDecode) {
  auto t = make(Spec{});
  std::mt19937 rng(3);
  for (int round = 0; round < 300; ++round) {
    std::vector<int32_t> ids;
    int n = std::uniform_int_distribution<int>(0, 30)(rng);
    for (int i = 0; i < n; ++i) ids.push_back(static_cast<int32_t>(rng() % 256));
    StreamDecoder d(t);
    std::string streamed;
    for (int32_t id : ids) streamed += d.push(id);
    streamed += d.finish();
    ASSERT_EQ(streamed, t.decode(ids));
    ASSERT_TRUE(is_valid_utf8(streamed));
  }
}

TEST(Tokenizer, ByteLevelWithGpt2RegexAndPrefixSpace) {
  Spec s;
  s.merges = {{"Ġ", "w"}};
  s.normalizer = nullptr;
  s.pre_tokenizer = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
  auto t = make(s);
  EXPECT_EQ(t.encode("w"), (std::vector<int32_t>{id_of(t, "Ġw")}));
  EXPECT_EQ(t.encode("w"), t.encode(" w"));
  EXPECT_EQ(t.encode("ww"), (std::vector<int32_t>{id_of(t, "Ġw"), 'w'}));
  EXPECT_EQ(t.encode("12"), (std::vector<int32_t>{' ', '1', '2'}));
}

TEST(Tokenizer, LoadsFromDirectoryOrFile) {
  test::TempDir dir;
  Spec s;
  s.merges = hello_merges();
  dir.file("tokenizer.json", make_json(s).dump());
  auto a = Tokenizer::load(dir.path);
  auto b = Tokenizer::load(dir.path / "tokenizer.json");
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(a->encode("hello"), b->encode("hello"));
  auto missing = Tokenizer::load(dir.path / "nope.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

TEST(Tokenizer, RefusesWhatItCannotHonour) {
  auto refused = [](const json& j) {
    auto t = Tokenizer::from_json(j.dump(), "bad.json");
    return t ? std::string() : t.error().message;
  };
  Spec s;
  s.merges = {{"a", "b"}};
  json j = make_json(s);

  EXPECT_NE(refused(json::array()).find("bad.json: not a JSON object"), std::string::npos);
  EXPECT_FALSE(Tokenizer::from_json("{", "x"));

  json bad_merge = j;
  bad_merge["model"]["merges"] = {"a zz"};
  EXPECT_NE(refused(bad_merge).find("'zz' is not in the vocabulary"), std::string::npos);

  json three = j;
  three["model"]["merges"] = {"a b c"};
  EXPECT_NE(refused(three).find("is not two tokens"), std::string::npos);

  json norm = j;
  norm["normalizer"] = {{"type", "Lowercase"}};
  EXPECT_NE(refused(norm).find("unsupported normalizer type 'Lowercase'"), std::string::npos);

  json behaviour = j;
  behaviour["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed";
  EXPECT_NE(refused(behaviour).find("Split behavior 'Removed'"), std::string::npos);

  json regex = j;
  regex["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
  EXPECT_NE(refused(regex).find("split regex"), std::string::npos);

  json no_byte_level = j;
  no_byte_level["pre_tokenizer"] = {{"type", "Whitespace"}};
  EXPECT_NE(refused(no_byte_level).find("'Whitespace' is not supported"), std::string::npos);

  json wordpiece = j;
  wordpiece["model"]["type"] = "WordPiece";
  EXPECT_NE(refused(wordpiece).find("only BPE"), std::string::npos);

  json processor = j;
  processor["post_processor"] = {{"type", "TemplateProcessing"}};
  EXPECT_NE(refused(processor).find("post_processor"), std::string::npos);

  json dup = j;
  dup["model"]["vocab"]["ab"] = 3;
  EXPECT_NE(refused(dup).find("id 3 is used by both"), std::string::npos);
}

TEST(Unicode, LossyConversionReplacesMaximalSubparts) {
  // Unicode's examples (§3.9, Table 3-8): each maximal subpart becomes one U+FFFD.
  const std::string R = "\xEF\xBF\xBD";
  EXPECT_EQ(utf8_lossy("a\x80" "b"), "a" + R + "b");
  EXPECT_EQ(utf8_lossy("\xF0\x80\x80"), R + R + R);  // F0 needs 90..BF next
  EXPECT_EQ(utf8_lossy("\xED\xA0\x80"), R + R + R);  // a surrogate
  EXPECT_EQ(utf8_lossy("\xE2\x82" "A"), R + "A");    // truncated sequence: one replacement
  EXPECT_EQ(utf8_lossy("\xC0\xAF"), R + R);           // overlong
  EXPECT_EQ(utf8_lossy("\xF4\x90\x80\x80"), R + R + R + R);  // past U+10FFFF
  EXPECT_EQ(utf8_lossy("\xE2\x82\xAC"), "\xE2\x82\xAC");
  std::string out;
  EXPECT_EQ(append_utf8_lossy(out, "ab\xE2\x82", false), 2u);
  EXPECT_EQ(out, "ab");
  EXPECT_TRUE(is_valid_utf8("plain ascii text, long enough for the 8-byte loop"));
  EXPECT_FALSE(is_valid_utf8("plain ascii text, then \xFF"));
}

TEST(Unicode, ByteLevelAlphabetIsGpt2s) {
  EXPECT_EQ(byte_level_utf8()[' '], "\xC4\xA0");   // Ġ
  EXPECT_EQ(byte_level_utf8()['\n'], "\xC4\x8A");  // Ċ
  EXPECT_EQ(byte_level_utf8()['a'], "a");
  EXPECT_EQ(byte_level_char(0xAD), 0x143u);  // the last remapped byte
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  EXPECT_EQ(from_byte_level(to_byte_level(all)), all);
  EXPECT_EQ(from_byte_level("\xE4\xB8\xAD"), std::nullopt);  // 中 is not in the alphabet
}

}  // namespace
}  // namespace cr1::model
