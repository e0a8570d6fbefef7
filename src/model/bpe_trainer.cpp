#include "model/bpe_trainer.h"

#include <algorithm>
#include <chrono>
#include <queue>
#include <set>
#include <unordered_map>

#include "model/tokenizer_byte_level.h"
#include "model/tokenizer_split_regex.h"
#include "model/unicode_utf8.h"

namespace cr1::model {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

uint64_t pair_key(int32_t a, int32_t b) { return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b); }
int32_t key_first(uint64_t k) { return static_cast<int32_t>(k >> 32); }
int32_t key_second(uint64_t k) { return static_cast<int32_t>(k & 0xFFFFFFFFu); }

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// A queued pair. The max-heap's top is the highest count, then the smaller ids.
struct QueuedPair {
  int64_t count;
  uint64_t key;
  bool operator<(const QueuedPair& o) const { return count != o.count ? count < o.count : key > o.key; }
};

}  // namespace

std::vector<AddedTokenSpec> default_added_tokens() {
  return {
      {"<|endoftext|>", true}, {"<|im_start|>", true}, {"<|im_end|>", true},
      {"<tool_call>", false},  {"</tool_call>", false}, {"<tool_response>", false}, {"</tool_response>", false},
      {"<think>", false},      {"</think>", false},     {"<answer>", false},        {"</answer>", false},
  };
}

struct BpeTrainer::Impl {
  BpeTrainerOptions options;
  SplitRegex split;
  AddedTokenMatcher matcher;
  std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>> word_counts;
  BpeTrainingStats stats;
  std::vector<std::pair<size_t, size_t>> pieces;   // scratch
  std::vector<TextSegment> segments;               // scratch

  Impl(BpeTrainerOptions o, SplitRegex s) : options(std::move(o)), split(std::move(s)) {}
};

BpeTrainer::BpeTrainer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BpeTrainer::BpeTrainer(BpeTrainer&&) noexcept = default;
BpeTrainer& BpeTrainer::operator=(BpeTrainer&&) noexcept = default;
BpeTrainer::~BpeTrainer() = default;

const BpeTrainingStats& BpeTrainer::stats() const { return impl_->stats; }
const BpeTrainerOptions& BpeTrainer::options() const { return impl_->options; }

Expected<BpeTrainer> BpeTrainer::create(BpeTrainerOptions options) {
  auto re = SplitRegex::compile(options.split_pattern);
  if (!re) return re.take_error();
  std::set<std::string> seen;
  std::vector<AddedToken> tokens;
  std::vector<std::string> patterns;
  for (const auto& t : options.added_tokens) {
    if (t.content.empty() || !is_valid_utf8(t.content))
      return make_error(ErrorKind::invalid_input, "added token '" + t.content + "' is empty or not UTF-8");
    if (!seen.insert(t.content).second)
      return make_error(ErrorKind::invalid_input, "added token '" + t.content + "' is listed twice");
    AddedToken a;
    a.id = static_cast<int32_t>(tokens.size());  // only tells matches from text here
    a.content = t.content;
    a.special = t.special;
    tokens.push_back(a);
    patterns.push_back(t.content);
  }
  size_t floor = 256 + options.added_tokens.size();
  if (options.vocab_size < floor)
    return make_error(ErrorKind::invalid_input, "vocab size " + std::to_string(options.vocab_size) +
                                                    " is below the 256 byte tokens + " +
                                                    std::to_string(options.added_tokens.size()) + " added tokens");
  if (options.min_frequency < 1) options.min_frequency = 1;
  auto impl = std::make_unique<Impl>(std::move(options), std::move(*re));
  impl->matcher = AddedTokenMatcher(std::move(tokens), std::move(patterns));
  return BpeTrainer(std::move(impl));
}

Status BpeTrainer::add_text(std::string_view text) {
  auto t0 = Clock::now();
  Impl& m = *impl_;
  std::string repaired;
  if (!is_valid_utf8(text)) {
    repaired = utf8_lossy(text);
    text = repaired;
  }
  m.stats.texts++;
  m.stats.bytes += text.size();
  m.segments.clear();
  m.matcher.split(text, /*split_special=*/false, m.segments);
  for (const auto& seg : m.segments) {
    if (seg.id >= 0) {  // an added token: never part of a learnt token
      m.stats.added_token_hits++;
      continue;
    }
    std::string norm = normalize(text.substr(seg.begin, seg.end - seg.begin), m.options.normal_form);
    m.pieces.clear();
    if (auto st = m.split.split(norm, m.pieces); !st) return st;
    for (auto [b, e] : m.pieces) {
      std::string_view w(norm.data() + b, e - b);
      auto it = m.word_counts.find(w);
      if (it == m.word_counts.end())
        m.word_counts.emplace(std::string(w), 1);
      else
        it->second++;
      m.stats.words++;
    }
  }
  m.stats.unique_words = m.word_counts.size();
  m.stats.count_seconds += seconds_since(t0);
  return ok_status();
}

Expected<BpeVocabulary> BpeTrainer::train() {
  auto t0 = Clock::now();
  Impl& m = *impl_;
  BpeVocabulary v;
  v.split_pattern = m.options.split_pattern;
  v.normal_form = m.options.normal_form;

  // Ids 0..255: the bytes, ordered by their byte-level character.
  std::vector<std::pair<char32_t, int>> order;
  for (int b = 0; b < 256; ++b) order.emplace_back(byte_level_char(static_cast<uint8_t>(b)), b);
  std::sort(order.begin(), order.end());
  std::array<int32_t, 256> byte_id{};
  for (int i = 0; i < 256; ++i) {
    byte_id[order[i].second] = i;
    v.tokens.push_back(byte_level_utf8()[order[i].second]);
  }

  // Words in a fixed order (by bytes), so nothing depends on hash order.
  std::vector<std::pair<std::string_view, uint64_t>> sorted;
  sorted.reserve(m.word_counts.size());
  for (const auto& [w, c] : m.word_counts) sorted.emplace_back(w, c);
  std::sort(sorted.begin(), sorted.end());
  m.stats.unique_words = sorted.size();
  std::vector<std::vector<int32_t>> words(sorted.size());
  std::vector<int64_t> counts(sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    counts[i] = static_cast<int64_t>(sorted[i].second);
    for (char c : sorted[i].first) words[i].push_back(byte_id[static_cast<uint8_t>(c)]);
  }

  // Pair counts, and for each pair the words that hold it (a word may be listed twice; stale entries
  // are harmless: merging finds nothing there).
  std::unordered_map<uint64_t, int64_t> pair_count;
  std::unordered_map<uint64_t, std::vector<uint32_t>> pair_words;
  for (uint32_t wi = 0; wi < words.size(); ++wi) {
    const auto& w = words[wi];
    for (size_t i = 0; i + 1 < w.size(); ++i) {
      uint64_t k = pair_key(w[i], w[i + 1]);
      pair_count[k] += counts[wi];
      auto& list = pair_words[k];
      if (list.empty() || list.back() != wi) list.push_back(wi);
    }
  }
  std::unordered_map<std::string, int32_t> token_ids;
  for (int32_t i = 0; i < 256; ++i) token_ids.emplace(v.tokens[i], i);
  std::priority_queue<QueuedPair> queue;
  for (const auto& [k, c] : pair_count) queue.push({c, k});

  const size_t target_tokens = m.options.vocab_size - m.options.added_tokens.size();
  std::vector<uint32_t> visited(words.size(), UINT32_MAX);  // merge number that last touched a word
  std::unordered_map<uint64_t, int64_t> delta;
  std::vector<int32_t> merged;
  while (v.tokens.size() < target_tokens && !queue.empty()) {
    QueuedPair top = queue.top();
    queue.pop();
    auto pc = pair_count.find(top.key);
    int64_t now = pc == pair_count.end() ? 0 : pc->second;
    if (now != top.count) {  // stale: re-queue with the current count
      if (now > 0) queue.push({now, top.key});
      continue;
    }
    if (now < static_cast<int64_t>(m.options.min_frequency)) break;
    int32_t a = key_first(top.key), b = key_second(top.key);
    // Two merges can spell the same string ("a"+"bc", "ab"+"c"): the token then keeps its first id,
    // as in HF's trainer.
    std::string spelled = v.tokens[a] + v.tokens[b];
    auto [known, fresh] = token_ids.emplace(spelled, static_cast<int32_t>(v.tokens.size()));
    int32_t new_id = known->second;
    if (fresh) v.tokens.push_back(std::move(spelled));
    v.merges.emplace_back(a, b);
    m.stats.last_merge_frequency = static_cast<uint64_t>(now);
    auto merge_no = static_cast<uint32_t>(v.merges.size());

    // Merge the pair in every word that holds it, left to right, and collect the count changes as the
    // difference between the word's pairs before and after.
    delta.clear();
    std::vector<uint32_t> holders = std::move(pair_words[top.key]);
    pair_words.erase(top.key);
    for (uint32_t wi : holders) {
      if (visited[wi] == merge_no) continue;
      visited[wi] = merge_no;
      auto& w = words[wi];
      merged.clear();
      bool any = false;
      for (size_t i = 0; i < w.size(); ++i) {
        if (i + 1 < w.size() && w[i] == a && w[i + 1] == b) {
          merged.push_back(new_id);
          ++i;
          any = true;
        } else {
          merged.push_back(w[i]);
        }
      }
      if (!any) continue;
      int64_t c = counts[wi];
      for (size_t i = 0; i + 1 < w.size(); ++i) delta[pair_key(w[i], w[i + 1])] -= c;
      for (size_t i = 0; i + 1 < merged.size(); ++i) {
        uint64_t k = pair_key(merged[i], merged[i + 1]);
        delta[k] += c;
        if (merged[i] == new_id || merged[i + 1] == new_id) {
          auto& list = pair_words[k];
          if (list.empty() || list.back() != wi) list.push_back(wi);
        }
      }
      w.swap(merged);
    }
    pair_count.erase(top.key);
    for (const auto& [k, d] : delta) {
      if (d == 0 || k == top.key) continue;
      int64_t& c = pair_count[k];
      c += d;
      if (d > 0) queue.push({c, k});
      if (c <= 0) pair_count.erase(k);
    }
  }

  for (size_t i = 0; i < m.options.added_tokens.size(); ++i) {
    AddedToken t;
    t.id = static_cast<int32_t>(v.tokens.size() + i);
    t.content = m.options.added_tokens[i].content;
    t.special = m.options.added_tokens[i].special;
    t.normalized = false;  // matched in the raw text, as Qwen2's are
    v.added_tokens.push_back(std::move(t));
  }
  m.stats.merge_seconds = seconds_since(t0);
  return v;
}

}  // namespace cr1::model
