#include "search/auc_bandit.h"

#include <cmath>

namespace cr1::search {

AucBandit::AucBandit(size_t arms, double exploration, size_t window)
    : arms_(arms), exploration_(exploration), window_(window) {}

double AucBandit::auc(size_t arm) const {
  const Arm& a = arms_[arm];
  double n = static_cast<double>(a.history.size());
  if (n == 0) return 0;
  return a.weighted / (n * (n + 1) / 2);
}

double AucBandit::auc_slow(size_t arm) const {
  const Arm& a = arms_[arm];
  double n = static_cast<double>(a.history.size()), sum = 0;
  for (size_t i = 0; i < a.history.size(); ++i) sum += a.history[i] ? static_cast<double>(i + 1) : 0;
  return n == 0 ? 0 : sum / (n * (n + 1) / 2);
}

double AucBandit::score(size_t arm) const {
  double uses = static_cast<double>(arms_[arm].history.size());
  if (uses == 0) return INFINITY;
  return auc(arm) + exploration_ * std::sqrt(2 * std::log(static_cast<double>(total_)) / uses);
}

size_t AucBandit::choose() const {
  size_t best = 0;
  for (size_t i = 1; i < arms_.size(); ++i)
    if (score(i) > score(best)) best = i;
  return best;
}

void AucBandit::record(size_t arm, bool success) {
  Arm& a = arms_[arm];
  ++total_;
  if (a.history.size() == window_) {
    // Dropping the oldest shifts every other weight down by one.
    bool oldest = a.history.front();
    a.history.pop_front();
    a.weighted -= static_cast<double>(a.successes);  // each success loses 1 weight; the oldest had weight 1 -> 0
    if (oldest) --a.successes;
  }
  a.history.push_back(success);
  if (success) {
    ++a.successes;
    a.weighted += static_cast<double>(a.history.size());
  }
}

}  // namespace cr1::search
