#include "model/tokenizer_bpe.h"

#include <algorithm>
#include <climits>
#include <atomic>
#include <cstring>
#include <memory>

#include "model/tokenizer_byte_level.h"

namespace cr1::model {
namespace {

uint64_t pair_key(int32_t a, int32_t b) { return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b); }

// The word cache: per thread, direct-mapped (a word's hash picks its one slot, a newer word evicts
// it), one 64-byte slot per word, so a hit is one hash, one cache line and no lock. Words that do not
// fit a slot (more than 22 bytes, or more than 8 ids) are merged every time; they are rare.
struct CacheSlot {
  uint32_t generation;  // the model (and its clear_cache() epoch) the entry belongs to; 0 = empty
  uint32_t tag;         // high bits of the word's hash
  uint8_t word_len;
  uint8_t n_ids;
  char word[22];
  int32_t ids[8];
};
static_assert(sizeof(CacheSlot) == 64);
constexpr size_t kCacheSlots = 1 << 15;  // 2 MiB per thread

CacheSlot* thread_cache() {
  thread_local std::unique_ptr<CacheSlot[]> slots;
  if (!slots) slots.reset(new CacheSlot[kCacheSlots]());
  return slots.get();
}

std::atomic<uint32_t> next_generation{1};

// Up to this many bytes, encode_word_uncached rescans pairs instead of keeping a heap (measured with
// bench/tokenizer_throughput: the heap's bookkeeping costs more than it saves on short words).
constexpr size_t kShortWord = 16;

}  // namespace

BpeModel::BpeModel(BpeModel&&) noexcept = default;
BpeModel& BpeModel::operator=(BpeModel&&) noexcept = default;
BpeModel::~BpeModel() = default;

Expected<BpeModel> BpeModel::create(const std::vector<std::pair<std::string, int32_t>>& vocab,
                                    const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options) {
  BpeModel m;
  m.options_ = std::move(options);
  int32_t max_id = -1;
  for (const auto& [tok, id] : vocab) {
    if (id < 0) return make_error(ErrorKind::parse, "vocab: token '" + tok + "' has negative id " + std::to_string(id));
    max_id = std::max(max_id, id);
  }
  m.tokens_.resize(static_cast<size_t>(max_id + 1));
  m.tokens_present_.assign(static_cast<size_t>(max_id + 1), false);
  m.ids_.reserve(vocab.size());
  for (const auto& [tok, id] : vocab) {
    if (m.tokens_present_[id])
      return make_error(ErrorKind::parse, "vocab: id " + std::to_string(id) + " is used by both '" + m.tokens_[id] +
                                              "' and '" + tok + "'");
    if (!m.ids_.emplace(tok, id).second) return make_error(ErrorKind::parse, "vocab: token '" + tok + "' appears twice");
    m.tokens_[id] = tok;
    m.tokens_present_[id] = true;
  }
  const auto& bytes = byte_level_utf8();
  for (int b = 0; b < 256; ++b) {
    auto it = m.ids_.find(bytes[b]);
    m.byte_ids_[b] = it == m.ids_.end() ? -1 : it->second;
  }
  if (m.options_.unk_token) {
    auto it = m.ids_.find(*m.options_.unk_token);
    if (it == m.ids_.end())
      return make_error(ErrorKind::parse, "unk_token '" + *m.options_.unk_token + "' is not in the vocabulary");
    m.unk_id_ = it->second;
  }
  m.merges_.reserve(merges.size());
  m.cache_generation_ = next_generation++;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    auto ia = m.ids_.find(a), ib = m.ids_.find(b), iab = m.ids_.find(a + b);
    auto where = [&] { return "merge " + std::to_string(rank) + " ('" + a + "' '" + b + "')"; };
    if (ia == m.ids_.end()) return make_error(ErrorKind::parse, where() + ": '" + a + "' is not in the vocabulary");
    if (ib == m.ids_.end()) return make_error(ErrorKind::parse, where() + ": '" + b + "' is not in the vocabulary");
    if (iab == m.ids_.end()) return make_error(ErrorKind::parse, where() + ": '" + a + b + "' is not in the vocabulary");
    // A repeated pair keeps its last rank, as HF's HashMap built from the list does.
    m.merges_.insert_or_assign(pair_key(ia->second, ib->second), Merge{static_cast<int32_t>(rank), iab->second});
  }
  return m;
}

const std::string* BpeModel::token(int32_t id) const {
  if (id < 0 || id >= id_end() || !tokens_present_[id]) return nullptr;
  return &tokens_[id];
}

std::optional<int32_t> BpeModel::id(std::string_view token) const {
  auto it = ids_.find(token);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

void BpeModel::MergeTable::reserve(size_t n) {
  size_t cap = 16;
  shift_ = 60;
  while (cap < 2 * n + 2) {
    cap <<= 1;
    --shift_;
  }
  keys_.assign(cap, kEmpty);
  values_.assign(cap, Merge{0, 0});
  size_ = 0;
}

void BpeModel::MergeTable::insert_or_assign(uint64_t key, Merge m) {
  if (keys_.empty() || 2 * (size_ + 1) > keys_.size()) {  // keep it at most half full
    MergeTable bigger;
    bigger.reserve(std::max<size_t>(16, 2 * size_ + 2));
    for (size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] != kEmpty) bigger.insert_or_assign(keys_[i], values_[i]);
    *this = std::move(bigger);
  }
  size_t mask = keys_.size() - 1;
  for (size_t i = slot(key);; i = (i + 1) & mask) {
    if (keys_[i] == key) {
      values_[i] = m;
      return;
    }
    if (keys_[i] == kEmpty) {
      keys_[i] = key;
      values_[i] = m;
      ++size_;
      return;
    }
  }
}

const BpeModel::Merge* BpeModel::MergeTable::find(uint64_t key) const {
  if (keys_.empty()) return nullptr;
  size_t mask = keys_.size() - 1;
  for (size_t i = slot(key);; i = (i + 1) & mask) {
    if (keys_[i] == key) return &values_[i];
    if (keys_[i] == kEmpty) return nullptr;
  }
}

const BpeModel::Merge* BpeModel::find_merge(int32_t a, int32_t b) const { return merges_.find(pair_key(a, b)); }

void BpeModel::initial_symbols(std::string_view word, std::vector<int32_t>& ids) const {
  ids.clear();
  bool last_unk = false;
  for (char c : word) {
    int32_t id = byte_ids_[static_cast<uint8_t>(c)];
    if (id < 0) {
      // HF: a character outside the vocabulary becomes unk when there is one, else it is dropped.
      if (unk_id_ < 0) continue;
      if (last_unk && options_.fuse_unk) continue;
      id = unk_id_;
      last_unk = true;
    } else {
      last_unk = false;
    }
    ids.push_back(id);
  }
}

void BpeModel::encode_word_uncached(std::string_view word, std::vector<int32_t>& out) const {
  // Most words are a few bytes long; for them rescanning the pairs beats keeping a heap.
  if (word.size() > kShortWord || options_.ignore_merges) {
    encode_word_heap(word, out);
    return;
  }
  thread_local std::vector<int32_t> ids;
  initial_symbols(word, ids);
  size_t n = ids.size();
  for (;;) {
    int32_t best_rank = INT32_MAX, best_id = -1;
    size_t best = 0;
    for (size_t i = 0; i + 1 < n; ++i)
      if (const Merge* m = find_merge(ids[i], ids[i + 1]); m && m->rank < best_rank) {
        best_rank = m->rank;
        best_id = m->new_id;
        best = i;
      }
    if (best_id < 0) break;
    ids[best] = best_id;
    std::copy(ids.begin() + static_cast<std::ptrdiff_t>(best) + 2, ids.begin() + static_cast<std::ptrdiff_t>(n),
              ids.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    --n;
  }
  out.insert(out.end(), ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n));
}

void BpeModel::encode_word_heap(std::string_view word, std::vector<int32_t>& out) const {
  if (options_.ignore_merges) {
    if (auto it = ids_.find(to_byte_level(word)); it != ids_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  struct Symbol {
    int32_t id, prev, next;
    bool alive;
  };
  struct Candidate {
    int32_t rank, pos, new_id;
    // std heaps are max-heaps: the "largest" is the lowest rank, then the leftmost position.
    bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  thread_local std::vector<int32_t> ids;
  thread_local std::vector<Symbol> sym;
  thread_local std::vector<Candidate> heap;
  initial_symbols(word, ids);
  const int32_t n = static_cast<int32_t>(ids.size());
  if (n <= 1) {
    out.insert(out.end(), ids.begin(), ids.end());
    return;
  }
  sym.resize(n);
  heap.clear();
  for (int32_t i = 0; i < n; ++i) sym[i] = Symbol{ids[i], i - 1, i + 1 < n ? i + 1 : -1, true};
  for (int32_t i = 0; i + 1 < n; ++i)
    if (const Merge* m = find_merge(ids[i], ids[i + 1])) heap.push_back({m->rank, i, m->new_id});
  std::make_heap(heap.begin(), heap.end());
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    Candidate top = heap.back();
    heap.pop_back();
    Symbol& s = sym[top.pos];
    if (!s.alive || s.next < 0) continue;
    Symbol& right = sym[s.next];
    // A stale candidate: its pair has changed since it was queued (HF compares the result id the same way).
    const Merge* now = find_merge(s.id, right.id);
    if (!now || now->new_id != top.new_id) continue;
    s.id = top.new_id;
    right.alive = false;
    s.next = right.next;
    if (s.next >= 0) sym[s.next].prev = top.pos;
    if (s.prev >= 0)
      if (const Merge* m = find_merge(sym[s.prev].id, s.id)) {
        heap.push_back({m->rank, s.prev, m->new_id});
        std::push_heap(heap.begin(), heap.end());
      }
    if (s.next >= 0)
      if (const Merge* m = find_merge(s.id, sym[s.next].id)) {
        heap.push_back({m->rank, top.pos, m->new_id});
        std::push_heap(heap.begin(), heap.end());
      }
  }
  for (int32_t i = 0; i >= 0; i = sym[i].next) out.push_back(sym[i].id);  // symbol 0 is never merged away
}

void BpeModel::encode_word_naive(std::string_view word, std::vector<int32_t>& out) const {
  if (options_.ignore_merges) {
    if (auto it = ids_.find(to_byte_level(word)); it != ids_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  std::vector<int32_t> ids;
  initial_symbols(word, ids);
  for (;;) {
    int32_t best_rank = INT32_MAX, best_id = -1;
    size_t best = 0;
    for (size_t i = 0; i + 1 < ids.size(); ++i)
      if (const Merge* m = find_merge(ids[i], ids[i + 1]); m && m->rank < best_rank) {
        best_rank = m->rank;
        best_id = m->new_id;
        best = i;
      }
    if (best_id < 0) break;
    ids[best] = best_id;
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
  out.insert(out.end(), ids.begin(), ids.end());
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.size() == 1 && byte_ids_[static_cast<uint8_t>(word[0])] >= 0) {
    out.push_back(byte_ids_[static_cast<uint8_t>(word[0])]);
    return;
  }
  if (!options_.cache || word.size() > sizeof(CacheSlot::word)) {
    encode_word_uncached(word, out);
    return;
  }
  uint64_t h = StringHash{}(word);
  CacheSlot& slot = thread_cache()[h & (kCacheSlots - 1)];
  auto gen = static_cast<uint32_t>(cache_generation_);
  auto tag = static_cast<uint32_t>(h >> 32);
  if (slot.generation == gen && slot.tag == tag && slot.word_len == word.size() &&
      std::memcmp(slot.word, word.data(), word.size()) == 0) {
    out.insert(out.end(), slot.ids, slot.ids + slot.n_ids);
    return;
  }
  size_t first = out.size();
  encode_word_uncached(word, out);
  size_t n = out.size() - first;
  if (n > std::size(slot.ids)) return;
  slot.generation = gen;
  slot.tag = tag;
  slot.word_len = static_cast<uint8_t>(word.size());
  slot.n_ids = static_cast<uint8_t>(n);
  std::memcpy(slot.word, word.data(), word.size());
  std::copy(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), slot.ids);
}

void BpeModel::clear_cache() { cache_generation_ = next_generation++; }

}  // namespace cr1::model
