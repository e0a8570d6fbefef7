#include "model/generation.h"

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>

#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include "model/prefix_cache.h"
#include "model/ngram_drafter.h"
#include "model/prompt_lookup.h"
#include "model/sampling.h"
#include "model/stop_criteria.h"

namespace cr1::model {

namespace {

// Picks the next token of every active row from its (n, V) f32 logits: (n) int64 on the model's device.
// `active` maps batch rows to result indices (the sampler's per-row state is kept by result index).
using RowSampler = std::function<at::Tensor(at::Tensor logits, const at::Tensor& seen, const std::vector<int64_t>& active)>;

void check_prompt(const ModelConfig& config, size_t i, const std::vector<TokenId>& prompt, const GenerationOptions& o,
                  const DecodeFn& decode) {
  if (prompt.empty()) throw std::invalid_argument(fmt::format("prompt {} is empty", i));
  for (TokenId t : prompt)
    if (t < 0 || t >= config.vocab_size)
      throw std::invalid_argument(
          fmt::format("prompt {}: token id {} outside the vocabulary (0..{})", i, t, config.vocab_size - 1));
  if (!o.stop_strings.empty() && !decode) throw std::invalid_argument("stop strings need a decode function");
  const int64_t P = static_cast<int64_t>(prompt.size()), max_new = std::max<int64_t>(0, o.max_new_tokens);
  if (P + max_new > config.max_position_embeddings)
    throw std::invalid_argument(fmt::format("prompt of {} tokens + {} new tokens exceeds max_position_embeddings {}",
                                            P, max_new, config.max_position_embeddings));
}

// The generation loop shared by both entry points: row i has options *row_options[i]; only the
// sampler differs (one generator for the batch, or one per row).
std::vector<GenerationResult> run_generation(const Qwen2Model& model, const std::vector<std::vector<TokenId>>& prompts,
                                             const std::vector<const GenerationOptions*>& row_options,
                                             const DecodeFn& decode, const RowSampler& sample, PrefixCache* prefix) {
  const auto& config = model.config();
  if (prompts.empty()) return {};
  for (size_t i = 0; i < prompts.size(); ++i) check_prompt(config, i, prompts[i], *row_options[i], decode);
  std::vector<GenerationResult> results(prompts.size());
  // Rows that want no tokens take no part in the batch.
  std::vector<int64_t> rows;  // batch row -> result index
  std::vector<int64_t> row_max;  // per result index
  int64_t max_new = 0;
  size_t longest = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    row_max.push_back(std::max<int64_t>(0, row_options[i]->max_new_tokens));
    if (const auto& f = row_options[i]->forced_tokens; !f.empty())  // teacher forcing ends with its tokens
      row_max.back() = std::min(row_max.back(), static_cast<int64_t>(f.size()));
    if (row_max.back() == 0) continue;
    rows.push_back(static_cast<int64_t>(i));
    max_new = std::max(max_new, row_max.back());
    longest = std::max(longest, prompts[i].size());
  }
  if (rows.empty()) return results;

  c10::InferenceMode inference;
  const auto device = model.options().device();
  const auto dtype = model.options().dtype().toScalarType();
  auto long_cpu = at::TensorOptions().dtype(at::kLong);
  const int64_t B = static_cast<int64_t>(rows.size()), P = static_cast<int64_t>(longest);

  // Left padding: row b's tokens end at column P - 1; every generated position is a real token.
  std::vector<int64_t> flat_ids(B * P, row_options[0]->pad_token_id), flat_mask(B * (P + max_new), 1);
  std::vector<int64_t> next_pos(B);
  bool any_penalty = false;
  for (int64_t b = 0; b < B; ++b) {
    const auto& p = prompts[rows[b]];
    const int64_t pad = P - static_cast<int64_t>(p.size());
    std::copy(p.begin(), p.end(), flat_ids.begin() + b * P + pad);
    std::fill_n(flat_mask.begin() + b * (P + max_new), pad, 0);
    next_pos[b] = static_cast<int64_t>(p.size());
    any_penalty = any_penalty || row_options[rows[b]]->sampling.repetition_penalty != 1.0;
  }
  auto ids = at::tensor(flat_ids, long_cpu).view({B, P});
  auto mask = at::tensor(flat_mask, long_cpu).view({B, P + max_new});
  ids = ids.to(device);
  mask = mask.to(device);
  auto prompt_mask = mask.narrow(1, 0, P);

  // Tokens present so far, for the repetition penalty (padding excluded).
  at::Tensor seen;
  if (any_penalty) {
    auto seen_cpu = at::zeros({B, config.vocab_size}, at::TensorOptions().dtype(at::kBool));
    auto acc = seen_cpu.accessor<bool, 2>();
    for (int64_t b = 0; b < B; ++b)
      for (TokenId t : prompts[rows[b]]) acc[b][t] = true;
    seen = seen_cpu.to(device);
  }

  // Timings for the results (on CUDA, kernels still queued at the end of the prefill count as decode).
  using Clock = std::chrono::steady_clock;
  const auto prefill_start = Clock::now();
  KvCache cache;
  at::Tensor logits;  // (B, V)
  // With a prefix cache, each row's own cache (batch 1), by result index: a row prefills what its cached
  // prefix lacks alone; a single row decodes in its own cache, several in a merged copy.
  std::vector<KvCache> row_caches;
  if (!prefix) {
    cache = model.make_cache(B, P + max_new);
    auto hidden = model.forward(ids, positions_from_mask(prompt_mask), make_attention_bias(prompt_mask, P, dtype), &cache);
    logits = model.logits(hidden.select(1, P - 1)).to(at::kFloat);
  } else {
    row_caches.resize(prompts.size());
    std::vector<at::Tensor> row_logits;
    for (int64_t b = 0; b < B; ++b) {
      const auto i = rows[b];
      const auto& p = prompts[i];
      const int64_t n = static_cast<int64_t>(p.size());
      // At least the last prompt token is run: its logits give the first new token.
      auto& rc = row_caches[i] =
          prefix->acquire(model, p, n - 1, n + row_max[i]);
      const int64_t past = rc.length, T = n - past;
      results[i].cached_tokens = past;
      prefix->count_prefilled(T);
      auto new_ids = at::tensor(std::vector<int64_t>(p.begin() + past, p.end()), long_cpu).view({1, T}).to(device);
      auto new_pos = at::arange(past, n, long_cpu).view({1, T}).to(device);
      auto key_mask = at::ones({1, n}, long_cpu.device(device));
      auto hidden = model.forward(new_ids, new_pos, make_attention_bias(key_mask, T, dtype), &rc);
      row_logits.push_back(model.logits(hidden.select(1, T - 1)).to(at::kFloat));
    }
    if (B == 1) {
      cache = std::move(row_caches[rows[0]]);
      logits = row_logits[0];
    } else {
      // Left-padded like the batched prefill: row b's prompt ends at column P - 1. Padding stays zero
      // (finite, and masked out).
      cache = model.make_cache(B, P + max_new);
      for (auto* side : {&cache.keys, &cache.values})
        for (auto& t : *side) t.zero_();
      for (int64_t b = 0; b < B; ++b) {
        const auto& rc = row_caches[rows[b]];
        for (size_t l = 0; l < cache.keys.size(); ++l) {
          cache.keys[l].select(0, b).narrow(1, P - rc.length, rc.length).copy_(rc.keys[l].select(0, 0).narrow(1, 0, rc.length));
          cache.values[l].select(0, b).narrow(1, P - rc.length, rc.length).copy_(rc.values[l].select(0, 0).narrow(1, 0, rc.length));
        }
      }
      cache.length = P;
      logits = at::cat(row_logits);
    }
  }
  // A finished row's keys/values (its prompt and every new token but the last, which never ran) go
  // back to the prefix cache; `r` is the row's place in the batch's cache.
  const bool own_cache = prefix && B == 1;  // the batch's cache is the row's
  auto release_row = [&](int64_t i, int64_t r) {
    const int64_t n = static_cast<int64_t>(prompts[i].size()), decoded = cache.length - P;
    std::vector<TokenId> seq(prompts[i]);
    seq.insert(seq.end(), results[i].tokens.begin(), results[i].tokens.begin() + decoded);
    KvCache rc;
    if (own_cache) {
      rc = std::move(cache);
    } else {  // the row's cache has its prompt; the merged cache has what was decoded since (capacity: n + row_max)
      rc = std::move(row_caches[i]);
      for (size_t l = 0; decoded > 0 && l < rc.keys.size(); ++l) {
        rc.keys[l].select(0, 0).narrow(1, n, decoded).copy_(cache.keys[l].select(0, r).narrow(1, P, decoded));
        rc.values[l].select(0, 0).narrow(1, n, decoded).copy_(cache.values[l].select(0, r).narrow(1, P, decoded));
      }
      rc.length = n + decoded;
    }
    prefix->release(seq, std::move(rc));
  };
  const auto decode_start = Clock::now();
  const double prefill_seconds = std::chrono::duration<double>(decode_start - prefill_start).count();
  // Decode steps attend to every real key so far: bias over the whole capacity, sliced per step.
  auto decode_bias = make_attention_bias(own_cache ? at::ones({1, cache.capacity()}, long_cpu.device(device)) : mask, 1,
                                         dtype);  // (B, 1, 1, capacity)
  auto positions = at::tensor(next_pos, long_cpu).to(device);

  std::vector<StopCriteria> stops;
  stops.reserve(prompts.size());
  for (const auto* o : row_options) stops.emplace_back(o->stop_strings, o->stop_token_ids, decode);
  std::vector<int64_t>& active = rows;

  // Appends a chosen token to row i's result; true when the row is done (a stop, or its length).
  auto emit = [&](int64_t i, TokenId t) {
    auto& res = results[i];
    res.tokens.push_back(t);
    if (row_options[i]->on_token) row_options[i]->on_token(static_cast<size_t>(i), t);
    if (auto stop = stops[i].check(res.tokens)) {
      res.finish = stop->reason;
      res.stop = stop->stop;
      return true;
    }
    return static_cast<int64_t>(res.tokens.size()) >= row_max[i];
  };
  // Row i (at batch row r) is done: its timings, and its cache row back to the prefix cache.
  auto finish = [&](int64_t i, int64_t r) {
    results[i].prefill_seconds = prefill_seconds;
    results[i].decode_seconds = std::chrono::duration<double>(Clock::now() - decode_start).count();
    if (prefix) release_row(i, r);
  };

  // Speculative decoding of the one row left (GenerationOptions::lookup_draft_tokens), to its end. `rows`
  // holds the logits of the last forward, row j the distribution after its j-th input: input 0 is the
  // last chosen token, inputs 1.. the drafts. Each emitted token is chosen from its row as the plain
  // loop chooses it; while it equals the next draft, the next row is valid too and no forward runs.
  // Invariant at every choice: the cache holds the prompt and every emitted token but the last.
  auto speculate = [&](int64_t i) {
    const auto& o = *row_options[i];
    auto& res = results[i];
    const int64_t K = std::max<int64_t>(1, o.lookup_draft_tokens);
    const int64_t n = static_cast<int64_t>(prompts[i].size());
    std::vector<TokenId> sequence(prompts[i]);
    sequence.insert(sequence.end(), res.tokens.begin(), res.tokens.end());
    // Query t of a forward over T new tokens sees new key j <= t: the top-left T x T block of this.
    const auto causal = make_attention_bias(at::ones({1, K + 1}, long_cpu.device(device)), K + 1, dtype).view({K + 1, K + 1});
    const std::vector<int64_t> one{i};
    at::Tensor rows_logits = logits;  // (T, V)
    std::vector<TokenId> drafts;
    size_t row = 0;
    // Draft length, adapted as HF's assisted generation does: longer after a forward whose drafts were
    // all accepted, shorter after a rejection (a rejected draft costs a row of the forward).
    int64_t want = std::min<int64_t>(K, 4);
    while (true) {
      TokenId t = static_cast<TokenId>(sample(rows_logits.narrow(0, static_cast<int64_t>(row), 1), seen, one)
                                           .to(at::kCPU).data_ptr<int64_t>()[0]);
      if (!o.forced_tokens.empty()) t = o.forced_tokens[res.tokens.size()];
      sequence.push_back(t);
      const bool done = emit(i, t);
      if (seen.defined()) seen.narrow(1, t, 1).fill_(true);
      const int64_t emitted = static_cast<int64_t>(res.tokens.size());
      if (!done && row < drafts.size() && t == drafts[row]) {
        ++row;
        ++res.accepted_tokens;
        continue;
      }
      if (!drafts.empty()) want = row == drafts.size() ? std::min(K, want + 2) : std::max<int64_t>(1, want - 1);
      cache.length = P + emitted - 1;  // drops the keys/values of rejected drafts
      if (done) return finish(i, 0);
      // At most emitted + 1 + drafts tokens may come out of the next forward: stay within row_max.
      const int64_t room = std::min(want, row_max[i] - emitted - 1);
      drafts = o.ngram_drafter ? o.ngram_drafter->draft(sequence, room) : std::vector<TokenId>{};
      if (drafts.empty()) drafts = prompt_lookup_draft(sequence, o.lookup_max_ngram, room, o.lookup_min_ngram);
      res.drafted_tokens += static_cast<int64_t>(drafts.size());
      const int64_t T = 1 + static_cast<int64_t>(drafts.size()), L = cache.length + T;
      std::vector<int64_t> input{t};
      input.insert(input.end(), drafts.begin(), drafts.end());
      const int64_t first = n + emitted - 1;  // position of t
      auto bias = decode_bias.narrow(-1, 0, L);
      if (T > 1) {
        bias = bias.expand({1, 1, T, L}).clone();
        bias.narrow(-1, cache.length, T).add_(causal.narrow(0, 0, T).narrow(1, 0, T));
      }
      auto hidden = model.forward(at::tensor(input, long_cpu).view({1, T}).to(device),
                                  at::arange(first, first + T, long_cpu).view({1, T}).to(device), bias, &cache);
      ++res.decode_forwards;
      rows_logits = model.logits(hidden.select(0, 0)).to(at::kFloat);
      row = 0;
    }
  };

  for (int64_t step = 0; step < max_new; ++step) {
    if (active.size() == 1 && row_options[active[0]]->lookup_draft_tokens > 0) {
      speculate(active[0]);
      break;
    }
    auto tokens = sample(logits, seen, active);  // (B_active)
    auto tokens_cpu = tokens.to(at::kCPU);
    bool forcing = false;
    for (int64_t i : active) forcing = forcing || !row_options[i]->forced_tokens.empty();
    if (forcing) {  // the forced token replaces the draw, in what is returned and what the next step reads
      tokens_cpu = tokens_cpu.clone();
      int64_t* t = tokens_cpu.data_ptr<int64_t>();
      for (size_t r = 0; r < active.size(); ++r)
        if (const auto& f = row_options[active[r]]->forced_tokens; !f.empty()) t[r] = f[results[active[r]].tokens.size()];
      tokens = tokens_cpu.to(device);
    }
    const int64_t* tok = tokens_cpu.data_ptr<int64_t>();
    std::vector<int64_t> keep;
    for (size_t r = 0; r < active.size(); ++r) {
      const auto i = active[r];
      if (!emit(i, static_cast<TokenId>(tok[r]))) {
        keep.push_back(static_cast<int64_t>(r));
        continue;
      }
      finish(i, static_cast<int64_t>(r));
    }
    if (keep.empty()) break;
    if (keep.size() != active.size()) {  // drop finished rows from everything that has a batch dimension
      auto keep_rows = at::tensor(keep, long_cpu).to(device);
      cache.select_rows(keep_rows);
      decode_bias = decode_bias.index_select(0, keep_rows);
      positions = positions.index_select(0, keep_rows);
      tokens = tokens.index_select(0, keep_rows);
      if (seen.defined()) seen = seen.index_select(0, keep_rows);
      std::vector<int64_t> next_active;
      for (int64_t r : keep) next_active.push_back(active[r]);
      active = std::move(next_active);
    }
    if (seen.defined()) seen.scatter_(1, tokens.view({-1, 1}), true);
    const int64_t n = static_cast<int64_t>(active.size());
    auto hidden = model.forward(tokens.view({n, 1}), positions.view({n, 1}), decode_bias.narrow(-1, 0, cache.length + 1),
                           &cache);
    for (int64_t i : active) ++results[i].decode_forwards;
    positions = positions + 1;
    logits = model.logits(hidden.select(1, 0)).to(at::kFloat);
  }
  return results;
}

bool same_sampling(const SamplingOptions& a, const SamplingOptions& b) {
  return a.greedy == b.greedy && a.temperature == b.temperature && a.top_k == b.top_k && a.top_p == b.top_p &&
         a.repetition_penalty == b.repetition_penalty;
}

}  // namespace

std::vector<GenerationResult> generate(const Qwen2Model& model, const std::vector<std::vector<TokenId>>& prompts,
                                       const GenerationOptions& options, const DecodeFn& decode, PrefixCache* prefix) {
  std::vector<const GenerationOptions*> row_options(prompts.size(), &options);
  std::optional<at::Generator> generator;  // made only when there is something to sample
  return run_generation(model, prompts, row_options, decode,
                        [&](at::Tensor logits, const at::Tensor& seen, const std::vector<int64_t>&) {
                          if (!generator) generator = make_seeded_generator(model.options().device(), options.seed);
                          return sample_tokens(std::move(logits), seen, options.sampling, *generator);
                        },
                        prefix);
}

std::vector<GenerationResult> generate_rows(const Qwen2Model& model, const std::vector<std::vector<TokenId>>& prompts,
                                            const std::vector<GenerationOptions>& options, const DecodeFn& decode,
                                            PrefixCache* prefix) {
  if (options.size() != prompts.size())
    throw std::invalid_argument(fmt::format("{} prompts but {} options", prompts.size(), options.size()));
  std::vector<const GenerationOptions*> row_options;
  for (const auto& o : options) row_options.push_back(&o);
  const auto device = model.options().device();
  std::vector<std::optional<at::Generator>> generators(prompts.size());  // by result index, made on first draw
  auto long_device = at::TensorOptions().dtype(at::kLong).device(device);
  return run_generation(
      model, prompts, row_options, decode, [&](at::Tensor logits, const at::Tensor& seen, const std::vector<int64_t>& active) {
        const int64_t n = static_cast<int64_t>(active.size());
        if (samples_row_by_row(logits))
          return sample_rows_cpu(logits, seen, [&](int64_t r) {
            const auto i = active[r];
            const auto& s = options[i].sampling;
            if (s.greedy || s.temperature <= 0) return RowDraw{&s, nullptr};
            if (!generators[i]) generators[i] = make_seeded_generator(device, options[i].seed);
            return RowDraw{&s, &*generators[i]};
          });
        // Rows with the same settings go through the chain together (every step is row-wise, so a row's
        // result is what it would be alone); each sampled row then draws from its own generator.
        std::vector<bool> done(active.size(), false);
        at::Tensor out = at::empty({n}, long_device);
        for (size_t r0 = 0; r0 < active.size(); ++r0) {
          if (done[r0]) continue;
          const auto& s = options[active[r0]].sampling;
          std::vector<int64_t> group;
          for (size_t r = r0; r < active.size(); ++r)
            if (!done[r] && same_sampling(options[active[r]].sampling, s)) {
              group.push_back(static_cast<int64_t>(r));
              done[r] = true;
            }
          const bool whole = static_cast<int64_t>(group.size()) == n;
          auto index = at::tensor(group, at::TensorOptions().dtype(at::kLong)).to(device);
          at::Tensor l = whole ? logits : logits.index_select(0, index);
          at::Tensor seen_rows = seen.defined() ? (whole ? seen : seen.index_select(0, index)) : at::Tensor();
          at::Tensor picked;
          if (s.greedy || s.temperature <= 0) {
            at::Generator unused;
            picked = sample_tokens(l, seen_rows, s, unused);
          } else {
            if (seen_rows.defined()) apply_repetition_penalty(l, seen_rows, s.repetition_penalty);
            apply_temperature(l, s.temperature);
            apply_top_k(l, s.top_k);
            apply_top_p(l, s.top_p);
            auto probs = l.softmax(-1);
            std::vector<at::Tensor> draws;
            for (size_t k = 0; k < group.size(); ++k) {
              const auto i = active[group[k]];
              if (!generators[i]) generators[i] = make_seeded_generator(device, options[i].seed);
              draws.push_back(at::multinomial(probs.narrow(0, static_cast<int64_t>(k), 1), 1, false, *generators[i]).view({1}));
            }
            picked = at::cat(draws);
          }
          if (whole) return picked;
          out.index_copy_(0, index, picked);
        }
        return out;
      },
      prefix);
}

}  // namespace cr1::model
