// Requests/s and tokens/s of the OpenAI-compatible chat server (serve/chat_completion_server.h) on
// loopback, with one client at a time against 8 (or --clients) at once, batched and not batched, in
// the same run on the same random model (created and saved to a temp directory with the tiny
// fixture's tokenizer). Every mode sends the same seeded requests, which give the same tokens
// whatever the batching, so the modes do the same work. See bench/README.md ("serve_throughput").
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "model/language_model.h"
#include "model/tokenizer.h"
#include "serve/chat_completion_server.h"
#include "serve/chat_model.h"
#include "bench_util.h"

using namespace cr1;
using nlohmann::json;
namespace fs = std::filesystem;

using cr1::bench::load_average;

namespace {

struct Mode {
  std::string name;
  int clients;
  size_t max_batch;
};

struct Result {
  double seconds = 0;
  int64_t completion_tokens = 0;
  int failures = 0;
};

Result run_mode(const serve::ChatModel& chat, const Mode& mode, int requests, int max_tokens, double window_ms) {
  serve::ChatServerOptions so;
  so.batching.max_batch = mode.max_batch;
  so.batching.window = std::chrono::microseconds(static_cast<int64_t>(window_ms * 1000));
  serve::ChatCompletionServer server(chat, so);
  int port = *server.start();
  std::atomic<int> next{0}, failures{0};
  std::atomic<int64_t> tokens{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < mode.clients; ++c)
    clients.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(600, 0);
      for (int i; (i = next++) < requests;) {
        json body = {{"messages", {{{"role", "user"}, {"content", fmt::format("Tune program {} for size, please.", i)}}}},
                     {"temperature", 0.8},
                     {"seed", i},
                     {"max_tokens", max_tokens}};
        auto r = client.Post("/v1/chat/completions", body.dump(), "application/json");
        if (!r || r->status != 200) {
          ++failures;
          continue;
        }
        tokens += json::parse(r->body)["usage"]["completion_tokens"].get<int64_t>();
      }
    });
  for (auto& t : clients) t.join();
  Result res;
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  res.completion_tokens = tokens;
  res.failures = failures;
  auto st = server.batching_stats();
  std::printf("  %-26s %8.2f req/s %9.1f tok/s  (%d requests, %lld tokens, %.2f s, %llu batches, largest %zu%s)\n",
              mode.name.c_str(), requests / res.seconds, res.completion_tokens / res.seconds, requests,
              static_cast<long long>(res.completion_tokens), res.seconds, static_cast<unsigned long long>(st.batches),
              st.largest_batch, res.failures ? fmt::format(", {} FAILED", res.failures).c_str() : "");
  return res;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"serve --model throughput: 1 client vs many, batched vs not, on a random Qwen2"};
  int layers = 8, hidden = 256, heads = 4, kv_heads = 2, intermediate = 704;
  int requests = 32, max_tokens = 64, clients = 8, threads = 0;
  double window_ms = 5;
  std::string work = "/tmp/cr1-serve-throughput-bench";
  app.add_option("--layers", layers);
  app.add_option("--hidden", hidden);
  app.add_option("--heads", heads);
  app.add_option("--kv-heads", kv_heads);
  app.add_option("--intermediate", intermediate);
  app.add_option("--requests", requests, "requests per mode");
  app.add_option("--max-tokens", max_tokens, "max_tokens per request");
  app.add_option("--clients", clients, "concurrent clients of the concurrent modes");
  app.add_option("--threads", threads, "torch intra-op threads (0: torch's default)");
  app.add_option("--window", window_ms, "batching window, ms");
  app.add_option("--work-dir", work, "where the random model is written");
  CLI11_PARSE(app, argc, argv);

  const fs::path fixture = fs::path(CR1_SOURCE_DIR) / "tests" / "fixtures" / "qwen2-tiny";
  auto tokenizer = model::Tokenizer::load(fixture / "tokenizer.json");
  if (!tokenizer) {
    std::fprintf(stderr, "error: %s\n", tokenizer.error().message.c_str());
    return 1;
  }
  model::ModelConfig config;
  config.vocab_size = tokenizer->vocab_size();
  config.hidden_size = hidden;
  config.intermediate_size = intermediate;
  config.num_hidden_layers = layers;
  config.num_attention_heads = heads;
  config.num_key_value_heads = kv_heads;
  config.max_position_embeddings = 4096;
  config.eos_token_ids = {*tokenizer->token_to_id("<|im_end|>")};
  auto lm = model::LanguageModel::create(config, 1, {.num_threads = threads});
  if (!lm) {
    std::fprintf(stderr, "error: %s\n", lm.error().message.c_str());
    return 1;
  }
  fs::create_directories(work);
  if (auto st = lm->save(work); !st) {
    std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
    return 1;
  }
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
    fs::copy_file(fixture / f, fs::path(work) / f, fs::copy_options::overwrite_existing);
  auto chat = serve::ChatModel::open(work, {.runtime = {.num_threads = threads}, .served_name = "bench"});
  if (!chat) {
    std::fprintf(stderr, "error: %s\n", chat.error().message.c_str());
    return 1;
  }

  std::printf("serve_throughput: Qwen2 %d layers, hidden %d, vocab %lld, %d requests of max_tokens %d (T 0.8, seeded), "
              "window %.1f ms, load average %s\n",
              layers, hidden, static_cast<long long>(config.vocab_size), requests, max_tokens, window_ms,
              load_average().c_str());
  // A warm-up, so that the first mode does not pay for oneDNN's first calls.
  run_mode(**chat, {"warm-up (not compared)", 2, 16}, 4, 8, window_ms);
  const std::vector<Mode> modes = {
      {"1 client", 1, 16},
      {fmt::format("{} clients, no batching", clients), clients, 1},
      {fmt::format("{} clients, batched", clients), clients, 16},
  };
  std::vector<Result> results;
  for (const auto& m : modes) results.push_back(run_mode(**chat, m, requests, max_tokens, window_ms));
  auto tps = [](const Result& r) { return r.completion_tokens / r.seconds; };
  std::printf("ratio tokens/s: %d clients batched / 1 client = %.2fx; batched / not batched at %d clients = %.2fx\n",
              clients, tps(results[2]) / tps(results[0]), clients, tps(results[2]) / tps(results[1]));
  int failures = 0;
  for (const auto& r : results) failures += r.failures;
  return failures ? 1 : 0;
}
