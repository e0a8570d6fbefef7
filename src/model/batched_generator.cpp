#include "model/batched_generator.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>

namespace cr1::model {

namespace {

struct Request {
  std::vector<TokenId> prompt;
  GenerationOptions options;
  std::promise<Expected<GenerationResult>> done;
};

// What generate_rows would refuse for this one request, so that it never fails a batch.
Status check_request(const ModelConfig& config, const std::vector<TokenId>& prompt, const GenerationOptions& o,
                     bool has_decode) {
  if (prompt.empty()) return make_error(ErrorKind::invalid_input, "generate: the prompt is empty");
  for (TokenId t : prompt)
    if (t < 0 || t >= config.vocab_size)
      return make_error(ErrorKind::invalid_input, fmt::format("generate: token id {} outside the vocabulary (0..{})", t,
                                                              config.vocab_size - 1));
  if (!o.stop_strings.empty() && !has_decode)
    return make_error(ErrorKind::invalid_input, "generate: stop strings need a decode function");
  const int64_t P = static_cast<int64_t>(prompt.size()), max_new = std::max<int64_t>(0, o.max_new_tokens);
  if (P + max_new > config.max_position_embeddings)
    return make_error(ErrorKind::invalid_input,
                      fmt::format("generate: prompt of {} tokens + {} new tokens exceeds max_position_embeddings {}", P,
                                  max_new, config.max_position_embeddings));
  return ok_status();
}

}  // namespace

struct BatchedGenerator::Impl {
  const LanguageModel& model;
  DecodeFn decode;
  BatchingOptions options;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<Request>> queue;
  bool stopping = false;
  BatchingStats stats;
  std::array<size_t, 4> recent_sizes{};  // of the last batches, for how many requests to wait
  size_t next_recent = 0;
  std::thread worker;

  Impl(const LanguageModel& m, DecodeFn d, BatchingOptions o) : model(m), decode(std::move(d)), options(o) {
    options.max_batch = std::max<size_t>(1, options.max_batch);
    worker = std::thread([this] { run(); });
  }

  // Takes the next batch: waits for a first request; then, when the queue was idle, for as many
  // requests as the recent batches had (the clients that were busy are likely back soon), but no
  // longer than `window`, and never past max_batch. A lone client thus never waits, and a steady
  // group of clients is batched whole even when their requests trickle in.
  std::vector<std::unique_ptr<Request>> take_batch() {
    std::unique_lock lock(mu);
    const bool was_idle = queue.empty();
    cv.wait(lock, [&] { return stopping || !queue.empty(); });
    if (stopping) return {};
    size_t expected = 1;
    for (size_t n : recent_sizes) expected = std::max(expected, n);
    expected = std::min(expected, options.max_batch);
    if (was_idle && queue.size() < expected && options.window.count() > 0) {
      auto deadline = std::chrono::steady_clock::now() + options.window;
      cv.wait_until(lock, deadline, [&] { return stopping || queue.size() >= expected; });
      if (stopping) return {};
    }
    std::vector<std::unique_ptr<Request>> batch;
    while (!queue.empty() && batch.size() < options.max_batch) {
      batch.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    recent_sizes[next_recent++ % recent_sizes.size()] = batch.size();
    return batch;
  }

  void run() {
    for (;;) {
      auto batch = take_batch();
      if (batch.empty()) break;
      std::vector<std::vector<TokenId>> prompts;
      std::vector<GenerationOptions> row_options;
      for (auto& r : batch) {
        prompts.push_back(std::move(r->prompt));
        GenerationOptions o = std::move(r->options);
        if (o.on_token) {
          // The caller sees its own row as 0; a throwing callback is dropped, not the batch.
          o.on_token = [f = std::move(o.on_token), live = true](size_t, TokenId t) mutable {
            if (!live) return;
            try {
              f(0, t);
            } catch (...) {
              live = false;
            }
          };
        }
        row_options.push_back(std::move(o));
      }
      auto results = model.generate_rows(prompts, row_options, decode);
      {
        std::lock_guard lock(mu);
        stats.batches += 1;
        stats.requests += batch.size();
        stats.largest_batch = std::max(stats.largest_batch, batch.size());
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        if (results) batch[i]->done.set_value(std::move((*results)[i]));
        else batch[i]->done.set_value(results.error());
      }
    }
    // Whatever is still queued will not run.
    std::lock_guard lock(mu);
    for (auto& r : queue)
      r->done.set_value(make_error(ErrorKind::internal, "generate: the batched generator is shutting down"));
    queue.clear();
  }
};

BatchedGenerator::BatchedGenerator(const LanguageModel& model, DecodeFn decode, BatchingOptions options)
    : impl_(std::make_unique<Impl>(model, std::move(decode), options)) {}

BatchedGenerator::~BatchedGenerator() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->worker.join();
}

std::future<Expected<GenerationResult>> BatchedGenerator::submit(std::vector<TokenId> prompt, GenerationOptions options) {
  auto r = std::make_unique<Request>();
  auto future = r->done.get_future();
  if (auto st = check_request(impl_->model.config(), prompt, options, static_cast<bool>(impl_->decode)); !st) {
    r->done.set_value(st.error());
    return future;
  }
  if (options.max_new_tokens <= 0) {  // nothing to generate: no reason to wait for a batch
    r->done.set_value(GenerationResult{});
    return future;
  }
  r->prompt = std::move(prompt);
  r->options = std::move(options);
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) {
      r->done.set_value(make_error(ErrorKind::internal, "generate: the batched generator is shutting down"));
      return future;
    }
    impl_->queue.push_back(std::move(r));
  }
  impl_->cv.notify_all();
  return future;
}

Expected<GenerationResult> BatchedGenerator::generate(std::vector<TokenId> prompt, GenerationOptions options) {
  return submit(std::move(prompt), std::move(options)).get();
}

BatchingStats BatchedGenerator::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

const LanguageModel& BatchedGenerator::model() const { return impl_->model; }

}  // namespace cr1::model
