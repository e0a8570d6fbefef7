#include "model/generation.h"

#include <stdexcept>

#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include "model/sampling.h"
#include "model/stop_criteria.h"

namespace cr1::model {

std::vector<GenerationResult> generate(const Qwen2Model& model, const std::vector<std::vector<TokenId>>& prompts,
                                       const GenerationOptions& options, const DecodeFn& decode) {
  const auto& config = model.config();
  if (prompts.empty()) return {};
  size_t longest = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) throw std::invalid_argument(fmt::format("prompt {} is empty", i));
    for (TokenId t : prompts[i])
      if (t < 0 || t >= config.vocab_size)
        throw std::invalid_argument(fmt::format("prompt {}: token id {} outside the vocabulary (0..{})", i, t,
                                                config.vocab_size - 1));
    longest = std::max(longest, prompts[i].size());
  }
  if (!options.stop_strings.empty() && !decode)
    throw std::invalid_argument("stop strings need a decode function");
  const int64_t B = static_cast<int64_t>(prompts.size()), P = static_cast<int64_t>(longest);
  const int64_t max_new = std::max<int64_t>(0, options.max_new_tokens);
  if (P + max_new > config.max_position_embeddings)
    throw std::invalid_argument(fmt::format("prompt of {} tokens + {} new tokens exceeds max_position_embeddings {}",
                                            P, max_new, config.max_position_embeddings));
  std::vector<GenerationResult> results(prompts.size());
  if (max_new == 0) return results;

  c10::InferenceMode inference;
  const auto device = model.options().device();
  const auto dtype = model.options().dtype().toScalarType();
  auto long_cpu = at::TensorOptions().dtype(at::kLong);

  // Left padding: row b's tokens end at column P - 1; every generated position is a real token.
  std::vector<int64_t> flat_ids(B * P, options.pad_token_id), flat_mask(B * (P + max_new), 1);
  std::vector<int64_t> next_pos(B);
  for (int64_t b = 0; b < B; ++b) {
    const auto& p = prompts[b];
    const int64_t pad = P - static_cast<int64_t>(p.size());
    std::copy(p.begin(), p.end(), flat_ids.begin() + b * P + pad);
    std::fill_n(flat_mask.begin() + b * (P + max_new), pad, 0);
    next_pos[b] = static_cast<int64_t>(p.size());
  }
  auto ids = at::tensor(flat_ids, long_cpu).view({B, P});
  auto mask = at::tensor(flat_mask, long_cpu).view({B, P + max_new});
  ids = ids.to(device);
  mask = mask.to(device);
  auto prompt_mask = mask.narrow(1, 0, P);

  // Tokens present so far, for the repetition penalty (padding excluded).
  at::Tensor seen;
  if (options.sampling.repetition_penalty != 1.0) {
    auto seen_cpu = at::zeros({B, config.vocab_size}, at::TensorOptions().dtype(at::kBool));
    auto acc = seen_cpu.accessor<bool, 2>();
    for (int64_t b = 0; b < B; ++b)
      for (TokenId t : prompts[b]) acc[b][t] = true;
    seen = seen_cpu.to(device);
  }

  KvCache cache = model.make_cache(B, P + max_new);
  auto hidden = model.forward(ids, positions_from_mask(prompt_mask), make_attention_bias(prompt_mask, P, dtype), &cache);
  auto logits = model.logits(hidden.select(1, P - 1)).to(at::kFloat);  // (B, V)
  // Decode steps attend to every real key so far: bias over the whole capacity, sliced per step.
  auto decode_bias = make_attention_bias(mask, 1, dtype);  // (B, 1, 1, P + max_new)
  auto positions = at::tensor(next_pos, long_cpu).to(device);

  StopCriteria stops(options.stop_strings, options.stop_token_ids, decode);
  at::Generator generator = make_seeded_generator(device, options.seed);
  std::vector<int64_t> active(B);  // batch row -> result index
  for (int64_t b = 0; b < B; ++b) active[b] = b;

  for (int64_t step = 0; step < max_new; ++step) {
    auto tokens = sample_tokens(logits, seen, options.sampling, generator);  // (B_active)
    auto tokens_cpu = tokens.to(at::kCPU);
    const int64_t* tok = tokens_cpu.data_ptr<int64_t>();
    std::vector<int64_t> keep;
    for (size_t r = 0; r < active.size(); ++r) {
      auto& res = results[active[r]];
      res.tokens.push_back(static_cast<TokenId>(tok[r]));
      if (options.on_token) options.on_token(static_cast<size_t>(active[r]), res.tokens.back());
      if (auto stop = stops.check(res.tokens)) {
        res.finish = stop->reason;
        res.stop = stop->stop;
      } else {
        keep.push_back(static_cast<int64_t>(r));
      }
    }
    if (keep.empty() || step + 1 == max_new) break;
    if (keep.size() != active.size()) {  // drop finished rows from everything that has a batch dimension
      auto rows = at::tensor(keep, long_cpu).to(device);
      cache.select_rows(rows);
      decode_bias = decode_bias.index_select(0, rows);
      positions = positions.index_select(0, rows);
      tokens = tokens.index_select(0, rows);
      if (seen.defined()) seen = seen.index_select(0, rows);
      std::vector<int64_t> next_active;
      for (int64_t r : keep) next_active.push_back(active[r]);
      active = std::move(next_active);
    }
    if (seen.defined()) seen.scatter_(1, tokens.view({-1, 1}), true);
    const int64_t n = static_cast<int64_t>(active.size());
    hidden = model.forward(tokens.view({n, 1}), positions.view({n, 1}), decode_bias.narrow(-1, 0, cache.length + 1),
                           &cache);
    positions = positions + 1;
    logits = model.logits(hidden.select(1, 0)).to(at::kFloat);
  }
  return results;
}

}  // namespace cr1::model
