// Merges independent generation requests from many threads into batched model calls, the way a
// serving queue does (cf. llama.cpp tools/server/server-queue.h): callers block in generate() (or hold
// a future from submit()); one worker thread takes what is queued and runs up to max_batch requests as
// one LanguageModel::generate_rows call. Requests that arrive while a batch runs wait for the next one
// (static batching: a batch runs until its longest request is done). When the queue was idle, the
// worker waits up to a short window for as many requests as the last batches had, so a lone client
// never waits and a steady group of clients is batched whole. Every request keeps its own options
// (seed, sampling, limits, stops): a request's tokens do not depend on what it was batched with, so the
// same seed gives the same tokens under any load (up to the rounding of batched kernels).
//
// Used by `serve --model` (serve/chat_completion_server.h) and by the built-in model policy to batch
// concurrent agent episodes. Torch-free.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <vector>

#include "model/generation_options.h"
#include "model/language_model.h"
#include "util/expected.h"

namespace cr1::model {

struct BatchingOptions {
  size_t max_batch = 16;  // requests per model call
  // After a request reaches an idle queue, how long at most to wait for as many requests as the recent
  // batches had before starting (0: start at once). Requests that arrive while a batch runs are
  // batched anyway.
  std::chrono::microseconds window{5000};
};

struct BatchingStats {
  uint64_t requests = 0;       // run in batches (refused ones not counted)
  uint64_t batches = 0;        // model calls
  size_t largest_batch = 0;    // requests in the largest call
};

class BatchedGenerator {
 public:
  // `model` must outlive the generator and not be used by other threads meanwhile. `decode` (needed for
  // stop strings) is called on the worker thread.
  explicit BatchedGenerator(const LanguageModel& model, DecodeFn decode = {}, BatchingOptions options = {});
  // Finishes the running batch; requests still queued get an error. Joins the worker.
  ~BatchedGenerator();
  BatchedGenerator(const BatchedGenerator&) = delete;
  BatchedGenerator& operator=(const BatchedGenerator&) = delete;

  // One continuation of `prompt`. Thread-safe; blocks until done. options.on_token, if set, is called
  // as (0, token) for every new token, on the worker thread between steps: keep it short and don't
  // throw (an exception is swallowed and stops further calls for that request). A request that cannot
  // run (empty prompt, token id outside the vocabulary, prompt + max_new_tokens past the model's
  // positions, stop strings without `decode`) is refused at once with invalid_input and never delays
  // the others; a failure of the model call fails every request of that batch.
  Expected<GenerationResult> generate(std::vector<TokenId> prompt, GenerationOptions options);
  // The same, without blocking.
  std::future<Expected<GenerationResult>> submit(std::vector<TokenId> prompt, GenerationOptions options);

  BatchingStats stats() const;
  const LanguageModel& model() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cr1::model
