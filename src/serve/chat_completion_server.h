// The OpenAI-compatible chat API of a built-in model (cpp-httplib), in llama.cpp server's shape: an
// HTTP adapter over a task queue (model/batched_generator.h) and one inference loop.
//   GET  /health                -> {"status": "ok", "model": …, "requests": …, "batches": …}
//   GET  /v1/models             -> the one model served, {"object": "list", "data": [{"id": name, …}]}
//   GET  /v1/models/<name>      -> that model, or 404
//   POST /v1/chat/completions   -> a chat.completion, or with "stream": true server-sent events of
//                                  chat.completion.chunk objects ending with "data: [DONE]"
// The conversation is rendered as Qwen2.5's ChatML with the request's tools (serve/chat_request.h,
// agent/chat.h) and the reply's <tool_call> blocks come back as OpenAI `tool_calls`
// (serve/chat_completion.h). Concurrent requests are generated together in batches, each with its own
// seed and settings. A request naming another model gets 404 (model_not_found); leaving the model out
// means the one served. max_tokens beyond the context left after the prompt is cut to fit (finish
// reason "length"); a prompt that leaves no room gets 400 (context_length_exceeded). Every error is
// JSON in OpenAI's error shape; handlers never throw.
#pragma once

#include <memory>
#include <string>

#include "model/batched_generator.h"
#include "serve/chat_model.h"
#include "serve/http_listen.h"
#include "util/expected.h"

namespace httplib {
class Server;
}

namespace cr1::serve {

struct ChatServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;        // 0 = any free port (see port())
  int threads = 64;    // connections handled at once; generation itself is batched
  size_t max_body_bytes = 8 << 20;
  model::BatchingOptions batching;
};

class ChatCompletionServer {
 public:
  // `model` must outlive the server.
  explicit ChatCompletionServer(const ChatModel& model, ChatServerOptions options = {});
  ~ChatCompletionServer();  // stops
  ChatCompletionServer(const ChatCompletionServer&) = delete;
  ChatCompletionServer& operator=(const ChatCompletionServer&) = delete;

  // Binds and serves on a background thread; returns the port.
  Expected<int> start();
  // Stops accepting and joins the thread. Idempotent.
  void stop();
  // Blocks until stop() is called from another thread.
  void wait();

  int port() const { return listener_->port(); }
  const std::string& host() const { return o_.host; }
  uint64_t requests() const;
  model::BatchingStats batching_stats() const;

 private:
  struct State;
  void add_routes();

  const ChatModel& model_;
  ChatServerOptions o_;
  std::unique_ptr<State> state_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<BackgroundListener> listener_;  // after server_: stops before it goes
};

}  // namespace cr1::serve
