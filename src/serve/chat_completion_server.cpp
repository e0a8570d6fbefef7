#include "serve/chat_completion_server.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <future>
#include <mutex>
#include <random>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "agent/chat.h"
#include "model/tokenizer_stream_decoder.h"
#include "serve/chat_completion.h"
#include "serve/chat_request.h"
#include "serve/http_listen.h"

namespace cr1::serve {

namespace {

using nlohmann::json;
using model::TokenId;

constexpr const char* kJson = "application/json";

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump(body), kJson);
}

void reply_error(httplib::Response& res, const RequestError& e) { reply(res, e.status, error_body(e)); }

RequestError server_error(std::string message, int status = 500) {
  RequestError e;
  e.status = status;
  e.message = std::move(message);
  e.type = status >= 500 ? "server_error" : "invalid_request_error";
  return e;
}

// A request ready for the generator.
struct Prepared {
  std::vector<TokenId> prompt;
  model::GenerationOptions options;
};

// The tokens of a stream, decoded as they come (on the generator's thread), for the handler to send.
struct StreamText {
  explicit StreamText(const model::Tokenizer& t, const std::vector<TokenId>& stops)
      : decoder(t, /*skip_special_tokens=*/true), stop_ids(stops) {}
  void push(TokenId id) {
    if (std::find(stop_ids.begin(), stop_ids.end(), id) != stop_ids.end()) return;  // never shown
    std::string piece = decoder.push(id);
    if (piece.empty()) return;
    std::lock_guard lock(mu);
    text += piece;
  }
  std::string snapshot() {
    std::lock_guard lock(mu);
    return text;
  }
  model::StreamDecoder decoder;  // used on the generator's thread only
  std::vector<TokenId> stop_ids;
  std::mutex mu;
  std::string text;
  std::future<Expected<model::GenerationResult>> result;
};

}  // namespace

struct ChatCompletionServer::State {
  State(const ChatModel& m, model::BatchingOptions batching)
      : generator(
            m.model(), [&t = m.tokenizer()](std::span<const TokenId> ids) { return t.decode(ids, true); }, batching) {
    std::random_device rd;
    salt = (uint64_t{rd()} << 32) ^ rd();
    seeds.seed(salt);
  }
  model::BatchedGenerator generator;
  std::atomic<uint64_t> requests{0}, next_id{0};
  uint64_t salt = 0;
  std::mutex seeds_mu;
  std::mt19937_64 seeds;  // for requests without a seed

  uint64_t random_seed() {
    std::lock_guard lock(seeds_mu);
    return seeds();
  }
};

ChatCompletionServer::ChatCompletionServer(const ChatModel& model, ChatServerOptions options)
    : model_(model), o_(std::move(options)), state_(std::make_unique<State>(model, o_.batching)),
      server_(std::make_unique<httplib::Server>()), listener_(std::make_unique<BackgroundListener>(*server_)) {
  add_routes();
}

ChatCompletionServer::~ChatCompletionServer() { stop(); }

uint64_t ChatCompletionServer::requests() const { return state_->requests.load(); }
model::BatchingStats ChatCompletionServer::batching_stats() const { return state_->generator.stats(); }

void ChatCompletionServer::add_routes() {
  auto& s = *server_;
  configure_server(s, o_.threads, o_.max_body_bytes);
  const auto started = static_cast<int64_t>(std::time(nullptr));

  auto model_card = [this, started] {
    return json{{"id", model_.name()},
                {"object", "model"},
                {"created", started},
                {"owned_by", "compiler-r1"},
                {"max_model_len", model_.context_length()}};
  };

  s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    ++state_->requests;
    auto st = state_->generator.stats();
    reply(res, 200, {{"status", "ok"}, {"model", model_.name()}, {"requests", st.requests}, {"batches", st.batches},
                     {"largest_batch", st.largest_batch}});
  });
  s.Get("/v1/models", [this, model_card](const httplib::Request&, httplib::Response& res) {
    ++state_->requests;
    reply(res, 200, {{"object", "list"}, {"data", json::array({model_card()})}});
  });
  s.Get(R"(/v1/models/(.+))", [this, model_card](const httplib::Request& req, httplib::Response& res) {
    ++state_->requests;
    std::string name = req.matches[1];
    if (name != model_.name()) {
      RequestError e = server_error(fmt::format("The model '{}' does not exist (this server serves '{}')", name, model_.name()), 404);
      e.param = "model";
      e.code = "model_not_found";
      return reply_error(res, e);
    }
    reply(res, 200, model_card());
  });

  s.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    ++state_->requests;
    ChatRequest r;
    if (auto e = parse_chat_request(req.body, r)) return reply_error(res, *e);
    if (!r.model.empty() && r.model != model_.name()) {
      RequestError e = server_error(
          fmt::format("The model '{}' does not exist (this server serves '{}'; GET /v1/models)", r.model, model_.name()), 404);
      e.param = "model";
      e.code = "model_not_found";
      return reply_error(res, e);
    }

    // The prompt, and what is left of the context for the completion.
    Prepared p;
    p.prompt = model_.tokenizer().encode(agent::render_chatml(r.messages, r.tools, /*add_generation_prompt=*/true));
    const int64_t P = static_cast<int64_t>(p.prompt.size()), room = model_.context_length() - P;
    if (room <= 0) {
      RequestError e = server_error(
          fmt::format("This model's maximum context length is {} tokens; the messages take {} tokens, leaving no room "
                      "for a completion",
                      model_.context_length(), P),
          400);
      e.param = "messages";
      e.code = "context_length_exceeded";
      return reply_error(res, e);
    }
    auto& o = p.options;
    o.max_new_tokens = std::min(r.max_tokens.value_or(room), room);
    const auto& d = model_.defaults();
    o.sampling.temperature = r.temperature.value_or(d.temperature);
    o.sampling.greedy = r.temperature ? *r.temperature == 0 : d.greedy;
    o.sampling.top_p = r.top_p.value_or(d.top_p);
    o.sampling.top_k = std::max<int64_t>(0, r.top_k.value_or(d.top_k));
    o.sampling.repetition_penalty = r.repetition_penalty.value_or(d.repetition_penalty);
    o.seed = r.seed ? *r.seed : state_->random_seed();
    o.stop_token_ids = model_.stop_token_ids();
    o.stop_strings = r.stop;
    o.pad_token_id = model_.pad_token_id();

    const uint64_t serial = state_->next_id++;
    const std::string id = fmt::format("chatcmpl-{:016x}{:08x}", state_->salt, serial);
    const std::string call_prefix = fmt::format("call_{:08x}{:08x}", state_->salt & 0xffffffffu, serial);
    const auto created = static_cast<int64_t>(std::time(nullptr));

    // The text the client sees: no end-of-turn token, nothing from the stop string on.
    auto completion_text = [this](const model::GenerationResult& g) {
      std::span<const TokenId> toks(g.tokens);
      if (g.finish == model::FinishReason::stop_token && !toks.empty()) toks = toks.first(toks.size() - 1);
      std::string text = model_.tokenizer().decode(toks, /*skip_special_tokens=*/true);
      if (g.finish == model::FinishReason::stop_string) text = std::string(cut_at(text, g.stop));
      return text;
    };
    auto usage = [P](const model::GenerationResult& g) {
      const auto n = static_cast<int64_t>(g.tokens.size());
      return json{{"prompt_tokens", P}, {"completion_tokens", n}, {"total_tokens", P + n}};
    };
    auto generation_error = [](const Error& e) {
      return server_error(e.message, e.kind == ErrorKind::invalid_input ? 400 : 500);
    };

    if (!r.stream) {
      auto g = state_->generator.generate(std::move(p.prompt), std::move(o));
      if (!g) return reply_error(res, generation_error(g.error()));
      auto msg = split_tool_calls(completion_text(*g));
      json message = {{"role", "assistant"}, {"content", msg.content ? json(*msg.content) : json()}};
      if (!msg.tool_calls.empty()) message["tool_calls"] = tool_calls_json(msg.tool_calls, call_prefix);
      reply(res, 200,
            {{"id", id},
             {"object", "chat.completion"},
             {"created", created},
             {"model", model_.name()},
             {"choices",
              {{{"index", 0},
                {"message", message},
                {"logprobs", nullptr},
                {"finish_reason", finish_reason(g->finish == model::FinishReason::length, msg)}}}},
             {"usage", usage(*g)}});
      return;
    }

    // Streaming: tokens are decoded as they come; the handler sends what can no longer change.
    auto text = std::make_shared<StreamText>(model_.tokenizer(), o.stop_token_ids);
    o.on_token = [text](size_t, TokenId t) { text->push(t); };
    text->result = state_->generator.submit(std::move(p.prompt), std::move(o));
    res.set_header("Cache-Control", "no-cache");
    auto chunk = [this, id, created](json delta, json finish) {
      return json{{"id", id},
                  {"object", "chat.completion.chunk"},
                  {"created", created},
                  {"model", model_.name()},
                  {"choices", {{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}, {"finish_reason", std::move(finish)}}}}};
    };
    res.set_chunked_content_provider(
        "text/event-stream",
        [text, chunk, completion_text, usage, generation_error, call_prefix,
         stream = std::make_shared<CompletionStream>(r.stop), include_usage = r.include_usage](size_t,
                                                                                              httplib::DataSink& sink) {
          auto send = [&](const json& event) {
            std::string line = "data: " + dump(event) + "\n\n";
            return sink.write(line.data(), line.size());
          };
          if (!send(chunk({{"role", "assistant"}, {"content", ""}}, nullptr))) return false;
          for (;;) {
            const bool ready = text->result.wait_for(std::chrono::milliseconds(5)) == std::future_status::ready;
            if (!ready) {
              if (auto delta = stream->next(text->snapshot()); !delta.empty())
                if (!send(chunk({{"content", delta}}, nullptr))) return false;
              continue;
            }
            auto g = text->result.get();
            if (!g) {
              send(error_body(generation_error(g.error())));
            } else {
              auto end = stream->finish(completion_text(*g));
              if (!end.content.empty() && !send(chunk({{"content", end.content}}, nullptr))) return false;
              if (!end.message.tool_calls.empty()) {
                json calls = tool_calls_json(end.message.tool_calls, call_prefix);
                for (size_t i = 0; i < calls.size(); ++i) calls[i]["index"] = i;
                if (!send(chunk({{"tool_calls", calls}}, nullptr))) return false;
              }
              const auto finish = finish_reason(g->finish == model::FinishReason::length, end.message);
              if (!send(chunk(json::object(), finish))) return false;
              if (include_usage) {
                json u = chunk(json::object(), nullptr);
                u["choices"] = json::array();
                u["usage"] = usage(*g);
                if (!send(u)) return false;
              }
            }
            static constexpr std::string_view kDone = "data: [DONE]\n\n";
            sink.write(kDone.data(), kDone.size());
            sink.done();
            return true;
          }
        });
  });

  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    // Only fills in bodies the handlers left empty (unmatched paths, oversized bodies, ...).
    if (!res.body.empty()) return;
    RequestError e = server_error(fmt::format("{} {}: HTTP {}", req.method, req.path, res.status), res.status);
    if (res.status == 404) e.message = fmt::format("{} {}: no such route (POST /v1/chat/completions, GET /v1/models)", req.method, req.path);
    reply_error(res, e);
  });
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    reply_error(res, server_error(fmt::format("{} {}: internal error: {}", req.method, req.path, what)));
  });
}

Expected<int> ChatCompletionServer::start() { return listener_->start(o_.host, o_.port); }
void ChatCompletionServer::stop() { listener_->stop(); }
void ChatCompletionServer::wait() { listener_->wait(); }

}  // namespace cr1::serve
