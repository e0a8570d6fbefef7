// Sampling as a chain of small steps over a (B, V) f32 logits tensor, in HF generate's order, ending in
// one seeded selector (cf. llama.cpp's sampler chain). Each step follows the semantics of the
// corresponding HF logits processor, so the same settings mean the same thing as in transformers.
// Torch header: model/ and train/ only.
#pragma once

#include <functional>

#include <ATen/ATen.h>

#include "model/generation_options.h"

namespace cr1::model {

// HF RepetitionPenaltyLogitsProcessor: for every token already present (`seen`, (B, V) bool), a
// positive logit is divided by `penalty` and a negative one multiplied by it.
void apply_repetition_penalty(at::Tensor& logits, const at::Tensor& seen, double penalty);
void apply_temperature(at::Tensor& logits, double temperature);
// Keeps the k largest logits per row (ties with the k-th kept too), the rest become -inf.
void apply_top_k(at::Tensor& logits, int64_t k);
// Keeps the smallest set of most likely tokens whose probability reaches p (at least one); HF's
// TopPLogitsWarper: a token goes when the cumulative probability of the tokens less likely than it,
// and itself, is <= 1 - p.
void apply_top_p(at::Tensor& logits, double p);

// The whole chain, then argmax (greedy) or one draw per row from `generator`. (B) int64.
at::Tensor sample_tokens(at::Tensor logits, const at::Tensor& seen, const SamplingOptions& options,
                         at::Generator& generator);

// The same chain for one row of CPU f32 logits, written out: a partial selection for top-k, a sort of the
// survivors only for top-p, and one uniform draw (53 bits of one random64 from `generator`; exactly one
// per call, so a stream of draws does not depend on the logits) over them, instead of ~15 tensor ops
// and a multinomial that draws V exponentials (~245 us a token at V = 4096, most of a small model's
// step). Same semantics as the tensor steps above; `seen` (V bools) may be null; `generator` may be
// null when greedy. sample_tokens takes this path for CPU f32 logits, row by row, in order.
int64_t sample_row_cpu(const float* logits, int64_t vocab, const bool* seen, const SamplingOptions& options,
                       at::Generator* generator);

// Whether `logits` ((B, V)) take sample_row_cpu: CPU f32.
bool samples_row_by_row(const at::Tensor& logits);
// sample_row_cpu over each row b of (B, V) logits, in order, with that row's settings and generator.
struct RowDraw {
  const SamplingOptions* options;
  at::Generator* generator;  // null when greedy
};
at::Tensor sample_rows_cpu(const at::Tensor& logits, const at::Tensor& seen,
                           const std::function<RowDraw(int64_t)>& row);

// A private generator on `device`, seeded (the CPU and CUDA kinds alike, without CUDA headers).
at::Generator make_seeded_generator(at::Device device, uint64_t seed);

}  // namespace cr1::model
