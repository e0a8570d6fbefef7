#include "model/stop_criteria.h"

#include <algorithm>

namespace cr1::model {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::length: return "length";
    case FinishReason::stop_token: return "stop_token";
    case FinishReason::stop_string: return "stop_string";
  }
  return "?";
}

StopCriteria::StopCriteria(std::vector<std::string> stop_strings, std::vector<TokenId> stop_token_ids, DecodeFn decode)
    : strings_(std::move(stop_strings)), ids_(std::move(stop_token_ids)), decode_(std::move(decode)) {
  std::erase(strings_, std::string());
  // Every token decodes to at least one byte, so this many tokens hold any stop string ending in the
  // newest one; +1 for a token whose bytes start mid-character.
  for (const auto& s : strings_) window_ = std::max(window_, s.size() + 1);
}

std::optional<StopMatch> StopCriteria::check(std::span<const TokenId> generated) const {
  if (generated.empty()) return std::nullopt;
  if (std::find(ids_.begin(), ids_.end(), generated.back()) != ids_.end())
    return StopMatch{FinishReason::stop_token, {}};
  if (strings_.empty() || !decode_) return std::nullopt;
  const size_t n = std::min(window_, generated.size());
  const std::string text = decode_(generated.subspan(generated.size() - n));
  for (const auto& s : strings_)
    if (text.find(s) != std::string::npos) return StopMatch{FinishReason::stop_string, s};
  return std::nullopt;
}

}  // namespace cr1::model
