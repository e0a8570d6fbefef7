#include "model/ngram_drafter.h"

#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "util/atomic_file.h"

namespace cr1::model {

namespace {

constexpr std::string_view kMagic = "cr1-ngram-drafter-v1\n";

std::string key_of(const TokenId* tokens, int64_t n) {
  return std::string(reinterpret_cast<const char*>(tokens), static_cast<size_t>(n) * sizeof(TokenId));
}

template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

}  // namespace

NgramDrafter NgramDrafter::build(std::span<const std::vector<TokenId>> sequences, const NgramDrafterOptions& o) {
  NgramDrafter d;
  d.max_ngram_ = std::max<int64_t>(1, o.max_ngram);
  d.min_ngram_ = std::clamp<int64_t>(o.min_ngram, 1, d.max_ngram_);
  std::unordered_map<std::string, std::unordered_map<TokenId, uint32_t>> counts;
  for (const auto& seq : sequences) {
    const int64_t size = static_cast<int64_t>(seq.size());
    for (int64_t n = d.min_ngram_; n <= d.max_ngram_; ++n)
      for (int64_t s = 0; s + n < size; ++s) ++counts[key_of(seq.data() + s, n)][seq[s + n]];
  }
  for (auto& [key, nexts] : counts) {
    Next best{0, 0};
    for (auto [token, count] : nexts)  // ties: the smaller id, so the table does not depend on hash order
      if (count > best.count || (count == best.count && token < best.token)) best = {token, count};
    if (best.count >= static_cast<uint64_t>(std::max<int64_t>(1, o.min_count))) d.next_.emplace(key, best);
  }
  return d;
}

std::vector<TokenId> NgramDrafter::draft(std::span<const TokenId> sequence, int64_t max_draft) const {
  std::vector<TokenId> out;
  if (next_.empty() || max_draft <= 0) return out;
  // The context window: the sequence's tail, then the drafted tokens.
  std::vector<TokenId> window(sequence.end() - std::min<int64_t>(max_ngram_, std::ssize(sequence)), sequence.end());
  while (std::ssize(out) < max_draft) {
    const Next* found = nullptr;
    for (int64_t n = std::min<int64_t>(max_ngram_, std::ssize(window)); n >= min_ngram_ && !found; --n) {
      auto it = next_.find(key_of(window.data() + window.size() - n, n));
      if (it != next_.end()) found = &it->second;
    }
    if (!found) break;
    out.push_back(found->token);
    window.push_back(found->token);
    if (std::ssize(window) > max_ngram_) window.erase(window.begin());
  }
  return out;
}

Status NgramDrafter::save(const std::filesystem::path& file) const {
  std::string out(kMagic);
  put<uint32_t>(out, static_cast<uint32_t>(max_ngram_));
  put<uint32_t>(out, static_cast<uint32_t>(min_ngram_));
  put<uint64_t>(out, next_.size());
  const std::map<std::string, Next> sorted(next_.begin(), next_.end());  // the same table, the same bytes
  for (const auto& [key, next] : sorted) {
    put<uint8_t>(out, static_cast<uint8_t>(key.size() / sizeof(TokenId)));
    out += key;
    put<int32_t>(out, next.token);
    put<uint32_t>(out, next.count);
  }
  return write_file_atomically(file, out);
}

Expected<NgramDrafter> NgramDrafter::load(const std::filesystem::path& file) {
  auto data = read_file(file);
  if (!data) return data.take_error();
  const std::string& s = *data;
  auto bad = [&](std::string_view why) {
    return make_error(ErrorKind::invalid_input, fmt::format("{}: not an n-gram draft table ({})", file.string(), why));
  };
  if (s.compare(0, kMagic.size(), kMagic) != 0) return bad("no cr1-ngram-drafter-v1 header");
  size_t at = kMagic.size();
  auto get = [&](auto& v) {
    if (at + sizeof v > s.size()) return false;
    std::memcpy(&v, s.data() + at, sizeof v);
    at += sizeof v;
    return true;
  };
  uint32_t max_n = 0, min_n = 0;
  uint64_t entries = 0;
  if (!get(max_n) || !get(min_n) || !get(entries)) return bad("truncated header");
  if (max_n == 0 || max_n > 64 || min_n == 0 || min_n > max_n) return bad("bad n-gram lengths");
  NgramDrafter d;
  d.max_ngram_ = max_n;
  d.min_ngram_ = min_n;
  d.next_.reserve(std::min<uint64_t>(entries, s.size()));
  for (uint64_t e = 0; e < entries; ++e) {
    uint8_t n = 0;
    if (!get(n) || n < min_n || n > max_n || at + n * sizeof(TokenId) > s.size()) return bad("truncated entry");
    std::string key = s.substr(at, n * sizeof(TokenId));
    at += n * sizeof(TokenId);
    Next next{};
    if (!get(next.token) || !get(next.count)) return bad("truncated entry");
    d.next_.emplace(std::move(key), next);
  }
  if (at != s.size()) return bad("trailing bytes");
  return d;
}

}  // namespace cr1::model
