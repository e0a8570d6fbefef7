#include "model/prefix_cache.h"

#include <algorithm>

#include <c10/core/InferenceMode.h>

#include "model/language_model.h"

namespace cr1::model {

namespace {

constexpr size_t kMaxPinned = 8;  // distinct system prompts kept whole; older ones age out like the rest

size_t bytes_of(const KvCache& c) {
  size_t n = 0;
  for (const auto* side : {&c.keys, &c.values})
    for (const auto& t : *side) n += t.numel() * t.element_size();
  return n;
}

size_t common_prefix(std::span<const TokenId> a, std::span<const TokenId> b, size_t limit) {
  const size_t n = std::min({a.size(), b.size(), limit});
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

int64_t PrefixCache::capacity_with_headroom(int64_t needed) {
  // Room for a tool response and the next turn, so the next turn usually takes this cache as it is.
  constexpr int64_t headroom = 512, block = 256;
  return (needed + headroom + block - 1) / block * block;
}

KvCache PrefixCache::acquire(const Qwen2Model& model, std::span<const TokenId> tokens, int64_t max_reuse,
                             int64_t needed) {
  const int64_t capacity = capacity_with_headroom(needed);
  const size_t limit = static_cast<size_t>(std::max<int64_t>(0, max_reuse));
  KvCache source;
  size_t length = 0;
  {
    std::lock_guard lock(mu_);
    ++lookups_;
    auto takeable = [&](const Entry& e, size_t l) {
      return !e.pinned && l == e.tokens.size() && e.cache.capacity() >= needed;
    };
    auto best = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      const size_t l = common_prefix(it->tokens, tokens, limit);
      if (l == 0) continue;
      if (best == entries_.end() || l > length || (l == length && takeable(*it, l) && !takeable(*best, length))) {
        best = it;
        length = l;
      }
    }
    if (best == entries_.end()) return model.make_cache(1, capacity);
    ++hits_;
    reused_tokens_ += length;
    if (takeable(*best, length)) {
      ++takes_;
      KvCache taken = std::move(best->cache);
      bytes_ -= best->bytes;
      entries_.erase(best);
      taken.length = static_cast<int64_t>(length);
      return taken;
    }
    entries_.splice(entries_.begin(), entries_, best);
    source = best->cache;  // tensor handles: the storage stays alive even if the entry goes meanwhile
  }
  // Outside the lock: an entry taken meanwhile only writes past its own length, never below `length`.
  c10::InferenceMode guard;
  KvCache cache = model.make_cache(1, capacity);
  const auto n = static_cast<int64_t>(length);
  for (size_t l = 0; l < cache.keys.size(); ++l) {
    cache.keys[l].narrow(2, 0, n).copy_(source.keys[l].narrow(2, 0, n));
    cache.values[l].narrow(2, 0, n).copy_(source.values[l].narrow(2, 0, n));
  }
  cache.length = n;
  return cache;
}

void PrefixCache::release(std::span<const TokenId> tokens, KvCache cache) {
  if (cache.length <= 0 || cache.batch() != 1) return;
  Entry e;
  e.tokens.assign(tokens.begin(), tokens.begin() + cache.length);
  e.bytes = bytes_of(cache);
  e.cache = std::move(cache);
  std::lock_guard lock(mu_);
  // An entry this one extends adds nothing (what it held is the start of this one).
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!it->pinned && it->tokens.size() <= e.tokens.size() &&
        common_prefix(it->tokens, e.tokens, it->tokens.size()) == it->tokens.size()) {
      bytes_ -= it->bytes;
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  bytes_ += e.bytes;
  entries_.push_front(std::move(e));
  evict_locked();
}

void PrefixCache::pin(const Qwen2Model& model, std::span<const TokenId> tokens) {
  if (tokens.empty()) return;
  auto exists = [&] {
    for (const auto& e : entries_)
      if (e.pinned && e.tokens.size() == tokens.size() && std::equal(e.tokens.begin(), e.tokens.end(), tokens.begin()))
        return true;
    return false;
  };
  {
    std::lock_guard lock(mu_);
    if (exists()) return;
  }
  c10::InferenceMode guard;
  const auto n = static_cast<int64_t>(tokens.size());
  const auto device = model.options().device();
  std::vector<int64_t> ids(tokens.begin(), tokens.end());
  auto input = at::tensor(ids, at::kLong).view({1, n}).to(device);
  auto mask = at::ones({1, n}, at::TensorOptions().dtype(at::kLong).device(device));
  Entry e;
  e.cache = model.make_cache(1, n);
  model.forward(input, positions_from_mask(mask), make_attention_bias(mask, n, model.options().dtype().toScalarType()),
                &e.cache);
  e.tokens.assign(tokens.begin(), tokens.end());
  e.bytes = bytes_of(e.cache);
  e.pinned = true;
  std::lock_guard lock(mu_);
  if (exists()) return;
  prefilled_tokens_ += tokens.size();
  bytes_ += e.bytes;
  entries_.push_front(std::move(e));
  size_t pinned = 0;
  for (auto& x : entries_)
    if (x.pinned && ++pinned > kMaxPinned) x.pinned = false;
  evict_locked();
}

void PrefixCache::clear_unpinned() {
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->pinned) {
      ++it;
      continue;
    }
    bytes_ -= it->bytes;
    it = entries_.erase(it);
  }
}

void PrefixCache::count_prefilled(int64_t tokens) {
  std::lock_guard lock(mu_);
  prefilled_tokens_ += static_cast<uint64_t>(std::max<int64_t>(0, tokens));
}

void PrefixCache::evict_locked() {
  for (auto it = entries_.end(); bytes_ > max_bytes_ && it != entries_.begin();) {
    --it;
    if (it->pinned) continue;
    bytes_ -= it->bytes;
    it = entries_.erase(it);
    ++evictions_;
  }
}

void PrefixCache::fill(PrefixCacheStats& s) const {
  std::lock_guard lock(mu_);
  s.enabled = true;
  s.max_bytes = max_bytes_;
  s.bytes = bytes_;
  s.entries = entries_.size();
  s.pinned = static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.pinned; }));
  s.lookups = lookups_;
  s.hits = hits_;
  s.takes = takes_;
  s.reused_tokens = reused_tokens_;
  s.prefilled_tokens = prefilled_tokens_;
  s.evictions = evictions_;
}

}  // namespace cr1::model
