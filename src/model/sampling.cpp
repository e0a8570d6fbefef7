#include "model/sampling.h"

#include <limits>
#include <mutex>

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

at::Tensor sample_tokens(at::Tensor logits, const at::Tensor& seen, const SamplingOptions& o, at::Generator& generator) {
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
