#include "model/sampling.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <mutex>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>

namespace cr1::model {

namespace {
constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
}

void apply_repetition_penalty(at::Tensor& logits, const at::Tensor& seen, double penalty) {
  if (penalty == 1.0) return;
  auto penalized = at::where(logits > 0, logits / penalty, logits * penalty);
  logits = at::where(seen, penalized, logits);
}

void apply_temperature(at::Tensor& logits, double temperature) {
  if (temperature != 1.0) logits = logits / temperature;
}

void apply_top_k(at::Tensor& logits, int64_t k) {
  if (k <= 0 || k >= logits.size(-1)) return;
  auto kth = std::get<0>(logits.topk(k, -1)).narrow(-1, k - 1, 1);  // (B, 1)
  logits = logits.masked_fill(logits < kth, kMinusInf);
}

void apply_top_p(at::Tensor& logits, double p) {
  if (p >= 1.0) return;
  auto [sorted, order] = logits.sort(-1, /*descending=*/false);  // ascending
  auto cumulative = sorted.softmax(-1).cumsum(-1);
  auto remove_sorted = cumulative <= (1.0 - p);
  remove_sorted.narrow(-1, remove_sorted.size(-1) - 1, 1).fill_(false);  // always keep the most likely
  auto remove = at::zeros_like(remove_sorted).scatter_(-1, order, remove_sorted);
  logits = logits.masked_fill(remove, kMinusInf);
}

int64_t sample_row_cpu(const float* logits, int64_t V, const bool* seen, const SamplingOptions& o,
                       at::Generator* generator) {
  std::vector<float> x(logits, logits + V);
  if (seen && o.repetition_penalty != 1.0) {
    const float p = static_cast<float>(o.repetition_penalty);
    for (int64_t v = 0; v < V; ++v)
      if (seen[v]) x[v] = x[v] > 0 ? x[v] / p : x[v] * p;
  }
  auto argmax = [&] { return static_cast<int64_t>(std::max_element(x.begin(), x.end()) - x.begin()); };  // first max
  if (o.greedy || o.temperature <= 0) return argmax();
  if (o.temperature != 1.0) {
    const float t = static_cast<float>(o.temperature);
    for (float& v : x) v /= t;
  }
  // Candidates: every token, or those at or above the k-th largest logit (ties kept, as apply_top_k).
  std::vector<int32_t> cand;
  if (o.top_k > 0 && o.top_k < V) {
    std::vector<float> copy(x);
    std::nth_element(copy.begin(), copy.begin() + (o.top_k - 1), copy.end(), std::greater<float>());
    const float kth = copy[o.top_k - 1];
    for (int64_t v = 0; v < V; ++v)
      if (x[v] >= kth) cand.push_back(static_cast<int32_t>(v));
  } else {
    for (int64_t v = 0; v < V; ++v)
      if (x[v] > -std::numeric_limits<float>::infinity()) cand.push_back(static_cast<int32_t>(v));
  }
  if (cand.empty()) return argmax();
  // Most likely first (ties: the lower id), probabilities relative to the most likely one.
  std::sort(cand.begin(), cand.end(), [&](int32_t a, int32_t b) { return x[a] > x[b] || (x[a] == x[b] && a < b); });
  std::vector<double> w(cand.size());
  double total = 0;
  for (size_t i = 0; i < cand.size(); ++i) total += w[i] = std::exp(static_cast<double>(x[cand[i]]) - x[cand[0]]);
  size_t keep = cand.size();
  if (o.top_p < 1.0) {
    // apply_top_p from the unlikely end: a token goes while the mass up to and including it is <= 1 - p.
    double below = 0;
    while (keep > 1 && (below + w[keep - 1]) / total <= 1.0 - o.top_p) below += w[--keep];
    total -= below;
  }
  const uint64_t bits = [&] {
    auto* g = generator->get<at::CPUGeneratorImpl>();
    std::lock_guard<std::mutex> lock(generator->mutex());
    return g->random64();
  }();
  const double u = static_cast<double>(bits >> 11) * 0x1.0p-53 * total;
  double acc = 0;
  for (size_t i = 0; i < keep; ++i)
    if ((acc += w[i]) > u) return cand[i];
  return cand[keep - 1];
}

bool samples_row_by_row(const at::Tensor& logits) {
  return logits.device().is_cpu() && logits.scalar_type() == at::kFloat && logits.dim() == 2;
}

at::Tensor sample_rows_cpu(const at::Tensor& logits, const at::Tensor& seen, const std::function<RowDraw(int64_t)>& row) {
  const auto l = logits.contiguous();
  const auto s = seen.defined() ? seen.to(at::kBool).contiguous() : at::Tensor();
  const int64_t B = l.size(0), V = l.size(1);
  auto out = at::empty({B}, at::TensorOptions().dtype(at::kLong));
  for (int64_t b = 0; b < B; ++b) {
    const RowDraw r = row(b);
    out.data_ptr<int64_t>()[b] = sample_row_cpu(l.data_ptr<float>() + b * V, V,
                                                s.defined() ? s.data_ptr<bool>() + b * V : nullptr, *r.options, r.generator);
  }
  return out;
}

at::Tensor sample_tokens(at::Tensor logits, const at::Tensor& seen, const SamplingOptions& o, at::Generator& generator) {
  if (samples_row_by_row(logits)) return sample_rows_cpu(logits, seen, [&](int64_t) { return RowDraw{&o, &generator}; });
  if (seen.defined()) apply_repetition_penalty(logits, seen, o.repetition_penalty);
  if (o.greedy || o.temperature <= 0) return logits.argmax(-1);
  apply_temperature(logits, o.temperature);
  apply_top_k(logits, o.top_k);
  apply_top_p(logits, o.top_p);
  return at::multinomial(logits.softmax(-1), 1, /*replacement=*/false, generator).squeeze(-1);
}

at::Generator make_seeded_generator(at::Device device, uint64_t seed) {
  at::Generator global = at::globalContext().defaultGenerator(device);  // shares the default's state
  at::Generator g;
  {
    std::lock_guard<std::mutex> lock(global.mutex());
    g = global.clone();
  }
  g.set_current_seed(seed);
  return g;
}

}  // namespace cr1::model
