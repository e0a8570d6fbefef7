// The OpenAI-compatible chat server on loopback with the tiny Qwen2 fixture (random weights, a real
// tokenizer): completions match the model run directly, streams add up to the same text, bad requests
// get OpenAI-shaped errors, concurrent clients are batched, seeds are honoured, our own OpenAI policy
// runs whole episodes against it, and `compiler-r1 serve --model` starts, answers and refuses bad
// model directories.
#include "serve/chat_completion_server.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "agent/chat.h"
#include "agent/openai_policy.h"
#include "agent/agent_test_support.h"
#include "model/language_model.h"
#include "serve/chat_completion.h"
#include "test_support.h"

extern char** environ;

namespace cr1::serve {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path tiny_dir() { return cr1::test::source_dir() / "tests" / "fixtures" / "qwen2-tiny"; }

const ChatModel& tiny_model() {
  static std::unique_ptr<ChatModel> m = [] {
    auto c = ChatModel::open(tiny_dir());
    if (!c) throw std::runtime_error(c.error().message);
    return std::move(*c);
  }();
  return *m;
}

struct Reply {
  int status = 0;
  json body;
  std::string raw;
};

Reply post(int port, const json& body, const std::string& raw = "") {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(120, 0);
  auto r = c.Post("/v1/chat/completions", raw.empty() ? body.dump() : raw, "application/json");
  if (!r) return {-1, json(), httplib::to_string(r.error())};
  return {r->status, json::parse(r->body, nullptr, false), r->body};
}

json user(const std::string& text) { return json::array({{{"role", "user"}, {"content", text}}}); }

// What the model itself writes for these messages with greedy decoding (the reference for the server).
std::string direct_greedy(const ChatModel& m, const json& messages, int64_t max_tokens) {
  std::vector<agent::ChatMessage> msgs;
  EXPECT_TRUE(agent::messages_from_json(messages, msgs));
  auto prompt = m.tokenizer().encode(agent::render_chatml(msgs, json::array(), true));
  model::GenerationOptions o;
  o.sampling.greedy = true;
  o.max_new_tokens = max_tokens;
  o.stop_token_ids = m.stop_token_ids();
  auto g = m.model().generate({prompt}, o);
  EXPECT_TRUE(g);
  auto toks = (*g)[0].tokens;
  if ((*g)[0].finish == model::FinishReason::stop_token) toks.pop_back();
  return m.tokenizer().decode(toks, true);
}

// The events of a server-sent-event stream, "[DONE]" included as a string.
std::vector<json> sse_events(const std::string& body) {
  std::vector<json> events;
  size_t at = 0;
  while ((at = body.find("data: ", at)) != std::string::npos) {
    size_t end = body.find("\n\n", at);
    std::string payload = body.substr(at + 6, end - at - 6);
    events.push_back(payload == "[DONE]" ? json("[DONE]") : json::parse(payload, nullptr, false));
    at = end;
  }
  return events;
}

struct StreamReply {
  int status = 0;
  std::vector<json> events;
  std::string content;   // the content deltas joined
  std::string finish;    // the last chunk's finish_reason
};

StreamReply post_stream(int port, json body) {
  body["stream"] = true;
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(120, 0);
  auto r = c.Post("/v1/chat/completions", body.dump(), "application/json");
  StreamReply s;
  if (!r) return s;
  s.status = r->status;
  EXPECT_NE(r->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  s.events = sse_events(r->body);
  for (const auto& e : s.events) {
    if (!e.is_object() || !e.contains("choices") || e["choices"].empty()) continue;
    const auto& ch = e["choices"][0];
    if (ch["delta"].contains("content") && ch["delta"]["content"].is_string()) s.content += ch["delta"]["content"].get<std::string>();
    if (ch["finish_reason"].is_string()) s.finish = ch["finish_reason"];
  }
  return s;
}

TEST(ChatServer, ModelsAndHealth) {
  ChatCompletionServer server(tiny_model());
  auto port = server.start();
  ASSERT_TRUE(port) << port.error().message;
  httplib::Client c("127.0.0.1", *port);
  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 200);
  json j = json::parse(models->body);
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 1u);
  EXPECT_EQ(j["data"][0]["id"], "qwen2-tiny");
  EXPECT_EQ(j["data"][0]["max_model_len"], 256);
  auto one = c.Get("/v1/models/qwen2-tiny");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  auto other = c.Get("/v1/models/gpt-9");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  EXPECT_EQ(json::parse(other->body)["error"]["code"], "model_not_found");
  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");
  auto nowhere = c.Get("/v2/everything");
  ASSERT_TRUE(nowhere);
  EXPECT_EQ(nowhere->status, 404);
  EXPECT_TRUE(json::parse(nowhere->body)["error"]["message"].is_string());
  server.stop();
  server.stop();
}

TEST(ChatServer, NonStreamingCompletionIsWhatTheModelWrites) {
  const auto& m = tiny_model();
  ChatCompletionServer server(m);
  auto port = server.start();
  ASSERT_TRUE(port);
  json messages = user("Count the instructions of matrix.c");
  auto r = post(*port, {{"model", "qwen2-tiny"}, {"messages", messages}, {"temperature", 0}, {"max_tokens", 24}});
  ASSERT_EQ(r.status, 200) << r.raw;
  const json& j = r.body;
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "qwen2-tiny");
  EXPECT_TRUE(j["id"].get<std::string>().starts_with("chatcmpl-"));
  ASSERT_EQ(j["choices"].size(), 1u);
  const json& choice = j["choices"][0];
  EXPECT_EQ(choice["message"]["role"], "assistant");
  std::string want = direct_greedy(m, messages, 24);
  auto split = split_tool_calls(want);
  EXPECT_EQ(choice["message"]["content"], split.content ? json(*split.content) : json()) << r.raw;
  std::vector<agent::ChatMessage> msgs;
  ASSERT_TRUE(agent::messages_from_json(messages, msgs));
  const auto prompt_tokens = m.tokenizer().encode(agent::render_chatml(msgs, json::array(), true)).size();
  EXPECT_EQ(j["usage"]["prompt_tokens"], prompt_tokens);
  const auto completion_tokens = j["usage"]["completion_tokens"].get<int64_t>();
  EXPECT_GT(completion_tokens, 0);
  EXPECT_LE(completion_tokens, 24);
  EXPECT_EQ(j["usage"]["total_tokens"], prompt_tokens + completion_tokens);
  const std::string finish = choice["finish_reason"];
  EXPECT_TRUE(finish == "stop" || finish == "length" || finish == "tool_calls") << finish;
  EXPECT_EQ(finish == "length", completion_tokens == 24);

  // Leaving the model out means the one served; max_tokens past the context is cut to fit.
  auto big = post(*port, {{"messages", messages}, {"temperature", 0}, {"max_tokens", 100000}});
  ASSERT_EQ(big.status, 200) << big.raw;
  EXPECT_LE(big.body["usage"]["total_tokens"].get<int64_t>(), m.context_length());
}

TEST(ChatServer, StreamingSendsTheSameTextInChunks) {
  const auto& m = tiny_model();
  ChatCompletionServer server(m);
  auto port = server.start();
  ASSERT_TRUE(port);
  json req = {{"messages", user("Write something long.")}, {"temperature", 0.9}, {"seed", 11}, {"max_tokens", 40}};
  auto whole = post(*port, req);
  ASSERT_EQ(whole.status, 200) << whole.raw;
  json with_usage = req;
  with_usage["stream_options"] = {{"include_usage", true}};
  auto s = post_stream(*port, with_usage);
  ASSERT_EQ(s.status, 200);
  ASSERT_GE(s.events.size(), 4u);
  EXPECT_EQ(s.events.back(), "[DONE]");
  EXPECT_EQ(s.events[0]["object"], "chat.completion.chunk");
  EXPECT_EQ(s.events[0]["choices"][0]["delta"]["role"], "assistant");
  const json& usage_event = s.events[s.events.size() - 2];
  EXPECT_TRUE(usage_event["choices"].empty());
  EXPECT_EQ(usage_event["usage"], whole.body["usage"]);
  for (const auto& e : s.events) {
    if (e.is_object()) {
      EXPECT_EQ(e["id"], s.events[0]["id"]);
    }
  }
  const auto& msg = whole.body["choices"][0]["message"];
  ASSERT_FALSE(msg.contains("tool_calls"));  // the random model writes no well-formed call here
  EXPECT_EQ(s.content, msg["content"].is_string() ? msg["content"].get<std::string>() : "");
  EXPECT_EQ(s.finish, whole.body["choices"][0]["finish_reason"]);

  // A stop string: content ends before it, in both forms, and the finish reason is "stop".
  auto greedy = post(*port, {{"messages", user("Write something long.")}, {"temperature", 0}, {"max_tokens", 40}});
  ASSERT_EQ(greedy.status, 200);
  std::string text = greedy.body["choices"][0]["message"]["content"].is_string()
                         ? greedy.body["choices"][0]["message"]["content"].get<std::string>()
                         : "";
  ASSERT_GE(text.size(), 12u) << "the greedy text is too short to cut";
  {
    std::string stop = text.substr(8, 3);
    json sreq = {{"messages", user("Write something long.")}, {"temperature", 0}, {"max_tokens", 40}, {"stop", {stop}}};
    auto cut = post(*port, sreq);
    ASSERT_EQ(cut.status, 200);
    std::string want(cut_at(text, stop));
    EXPECT_EQ(cut.body["choices"][0]["message"]["content"], want);
    EXPECT_EQ(cut.body["choices"][0]["finish_reason"], "stop");
    auto scut = post_stream(*port, sreq);
    EXPECT_EQ(scut.content, want);
    EXPECT_EQ(scut.finish, "stop");
  }
}

TEST(ChatServer, BadRequestsGetOpenAiErrors) {
  const auto& m = tiny_model();
  ChatCompletionServer server(m);
  auto port = server.start();
  ASSERT_TRUE(port);
  struct Case {
    std::string raw;
    int status;
    std::string param;
  };
  std::string long_text(2000, 'x');
  const std::vector<Case> cases = {
      {"{\"messages\": ", 400, ""},
      {"{}", 400, "messages"},
      {R"({"messages": [{"role": "robot", "content": "x"}]})", 400, "messages[0].role"},
      {R"({"messages": [{"role": "user", "content": "x"}], "temperature": "warm"})", 400, "temperature"},
      {R"({"messages": [{"role": "user", "content": "x"}], "n": 3})", 400, "n"},
      {R"({"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]})", 404, "model"},
      {json{{"messages", user(long_text)}}.dump(), 400, "messages"},
  };
  for (const auto& c : cases) {
    auto r = post(*port, json(), c.raw);
    EXPECT_EQ(r.status, c.status) << c.raw << " -> " << r.raw;
    ASSERT_TRUE(r.body.is_object() && r.body.contains("error")) << r.raw;
    EXPECT_TRUE(r.body["error"]["message"].is_string());
    EXPECT_EQ(r.body["error"]["param"], c.param.empty() ? json() : json(c.param)) << r.raw;
  }
  auto over = post(*port, {{"messages", user(long_text)}});
  EXPECT_EQ(over.body["error"]["code"], "context_length_exceeded");
  auto unknown = post(*port, {{"model", "gpt-9"}, {"messages", user("x")}});
  EXPECT_EQ(unknown.body["error"]["code"], "model_not_found");
  // The server is still fine.
  EXPECT_EQ(post(*port, {{"messages", user("x")}, {"max_tokens", 2}}).status, 200);
}

TEST(ChatServer, ConcurrentClientsAreBatchedAndEachGetsItsOwnAnswer) {
  constexpr int kClients = 16;
  const auto& m = tiny_model();
  auto request = [](int i) {
    return json{{"messages", user(fmt::format("Request number {} asks for {}", i, i * 7))},
                {"temperature", 0.8},
                {"top_k", 40},
                {"seed", 1000 + i},
                {"max_tokens", 8 + i % 5}};
  };
  // Alone first (batching off), then all at once: every answer must be the same.
  std::vector<json> alone(kClients);
  {
    ChatCompletionServer server(m, {.batching = {.max_batch = 1, .window = std::chrono::microseconds(0)}});
    auto port = server.start();
    ASSERT_TRUE(port);
    for (int i = 0; i < kClients; ++i) {
      auto r = post(*port, request(i));
      ASSERT_EQ(r.status, 200) << r.raw;
      alone[i] = r.body["choices"][0];
    }
  }
  ChatCompletionServer server(m, {.batching = {.max_batch = 16, .window = std::chrono::milliseconds(50)}});
  auto port = server.start();
  ASSERT_TRUE(port);
  std::vector<json> together(kClients);
  std::vector<int> status(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back([&, i] {
      auto r = post(*port, request(i));
      status[i] = r.status;
      if (r.status == 200) together[i] = r.body["choices"][0];
    });
  for (auto& t : clients) t.join();
  for (int i = 0; i < kClients; ++i) {
    ASSERT_EQ(status[i], 200) << i;
    EXPECT_EQ(together[i]["message"], alone[i]["message"]) << i;
    EXPECT_EQ(together[i]["finish_reason"], alone[i]["finish_reason"]) << i;
  }
  auto stats = server.batching_stats();
  EXPECT_EQ(stats.requests, static_cast<uint64_t>(kClients));
  EXPECT_LT(stats.batches, static_cast<uint64_t>(kClients));
  EXPECT_GT(stats.largest_batch, 1u);
  std::printf("[ measured ] %d concurrent requests in %llu batches (largest %zu)\n", kClients,
              static_cast<unsigned long long>(stats.batches), stats.largest_batch);
}

TEST(ChatServer, SameSeedSameAnswer) {
  ChatCompletionServer server(tiny_model());
  auto port = server.start();
  ASSERT_TRUE(port);
  json req = {{"messages", user("Pick a pass")}, {"temperature", 1.0}, {"top_p", 0.95}, {"seed", 7}, {"max_tokens", 24}};
  auto a = post(*port, req), b = post(*port, req);
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body["choices"], b.body["choices"]);
  bool differs = false;
  for (int seed = 8; seed < 12 && !differs; ++seed) {
    req["seed"] = seed;
    differs = post(*port, req).body["choices"] != a.body["choices"];
  }
  EXPECT_TRUE(differs);
}

// A copy of the tiny model with a context long enough for the agent's prompt (its tool schemas and
// instructions take ~2k tokens of this small vocabulary): same tokenizer, new random weights.
fs::path long_context_model(const fs::path& dir) {
  auto config = model::ModelConfig::load(tiny_dir() / "config.json");
  if (!config) throw std::runtime_error(config.error().message);
  config->max_position_embeddings = 8192;
  auto lm = model::LanguageModel::create(*config, 3);
  if (!lm) throw std::runtime_error(lm.error().message);
  if (auto st = lm->save(dir); !st) throw std::runtime_error(st.error().message);
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) fs::copy_file(tiny_dir() / f, dir / f);
  return dir;
}

TEST(ChatServer, OurOpenAiPolicyRunsEpisodesAgainstIt) {
  cr1::test::TempDir tmp;
  auto chat = ChatModel::open(long_context_model(tmp.path / "agent-model"), {.served_name = "agent-tiny"});
  ASSERT_TRUE(chat) << chat.error().message;
  ChatCompletionServer server(**chat);
  auto port = server.start();
  ASSERT_TRUE(port);

  auto file = cr1::test::example("matrix.c");
  agent::test::SessionTools tools;
  tools.add("matrix.bc", file);
  auto verifier = agent::test::session_of(file);
  auto info = agent::test::info_of(cr1::test::load_or_die(file), "matrix.bc");
  agent::EpisodeOptions eo;
  eo.limits.max_turns = 3;
  eo.limits.max_tokens_per_turn = 48;
  for (auto style : {agent::MessageStyle::text, agent::MessageStyle::openai}) {
    agent::OpenAiOptions o;
    o.base_url = fmt::format("http://127.0.0.1:{}/v1", *port);
    o.model = "agent-tiny";
    o.seed = 5;
    o.retries = 0;
    o.style = style;
    agent::OpenAiPolicy policy(o);
    auto r = agent::run_episode(info, policy, tools.tools(), *verifier, eo);
    // The random model writes nonsense: what matters is that every turn came back as a well-formed
    // completion (no policy error), with exact token counts from usage, and the episode ended for a
    // recorded protocol-level reason.
    EXPECT_NE(r.end_reason, "policy_error") << r.policy_error;
    EXPECT_TRUE(r.end_reason == "max_turns" || r.end_reason == "protocol_error" || r.end_reason == "answer" ||
                r.end_reason == "max_tokens")
        << r.end_reason;
    ASSERT_FALSE(r.turns.empty());
    for (const auto& t : r.turns) {
      EXPECT_GT(t.tokens, 0u);
      EXPECT_LE(t.tokens, 48u);
    }
    EXPECT_FALSE(agent::record_line(r).empty());
    std::printf("[ episode  ] style %s: %zu turns, end reason %s, %zu prompt tokens\n",
                style == agent::MessageStyle::text ? "text" : "openai", r.turns.size(), r.end_reason.c_str(), r.prompt_tokens);
  }
  EXPECT_GE(server.batching_stats().requests, 2u);

  // A wrong model name is a clean policy error, not a crash.
  agent::OpenAiOptions wrong;
  wrong.base_url = fmt::format("http://127.0.0.1:{}", *port);
  wrong.model = "not-served";
  wrong.retries = 0;
  agent::OpenAiPolicy bad(wrong);
  auto r = agent::run_episode(info, bad, tools.tools(), *verifier, eo);
  EXPECT_EQ(r.end_reason, "policy_error");
  EXPECT_NE(r.policy_error.find("404"), std::string::npos) << r.policy_error;
}

// `compiler-r1 serve --model` end to end.
pid_t spawn_cli(const std::vector<std::string>& args, const fs::path& out) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv = {CR1_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, CR1_CLI_PATH, &fa, nullptr, cargv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

std::vector<int> wait_for_ports(const fs::path& log, size_t want) {
  std::regex re(R"(http://127\.0\.0\.1:(\d+))");
  for (int i = 0; i < 1200; ++i) {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    std::vector<int> ports;
    for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) ports.push_back(std::stoi((*it)[1]));
    if (ports.size() >= want) return ports;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return {};
}

TEST(ServeModelCli, StartsAnswersAndStops) {
  cr1::test::TempDir out;
  auto log = out.path / "stdout.txt";
  pid_t pid = spawn_cli({"serve", "--model", tiny_dir().string(), "--port", "0", "--served-model-name", "tiny"}, log);
  ASSERT_GT(pid, 0);
  auto ports = wait_for_ports(log, 1);
  ASSERT_EQ(ports.size(), 1u) << "the server never printed its address";
  httplib::Client c("127.0.0.1", ports[0]);
  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(json::parse(models->body)["data"][0]["id"], "tiny");
  auto r = post(ports[0], {{"model", "tiny"}, {"messages", user("hi")}, {"max_tokens", 4}});
  EXPECT_EQ(r.status, 200) << r.raw;
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(ServeModelCli, ModelAndToolsInOneProcess) {
  cr1::test::TempDir out;
  auto log = out.path / "stdout.txt";
  pid_t pid = spawn_cli({"serve", "--model", tiny_dir().string(), "--tools", "--root", cr1::test::source_dir() / "examples",
                         "--port", "0", "-j", "1"},
                        log);
  ASSERT_GT(pid, 0);
  auto ports = wait_for_ports(log, 2);
  ASSERT_EQ(ports.size(), 2u);
  auto models = httplib::Client("127.0.0.1", ports[0]).Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 200);
  auto tools = httplib::Client("127.0.0.1", ports[1]).Get("/tools");
  ASSERT_TRUE(tools);
  EXPECT_EQ(tools->status, 200);
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(ServeModelCli, AMalformedModelDirectoryIsRefusedAtStart) {
  cr1::test::TempDir tmp;
  auto copy_tiny = [&](const std::string& name, std::vector<std::string> skip) {
    fs::path d = tmp.path / name;
    fs::create_directories(d);
    for (const auto& e : fs::directory_iterator(tiny_dir()))
      if (std::find(skip.begin(), skip.end(), e.path().filename().string()) == skip.end())
        fs::copy_file(e.path(), d / e.path().filename());
    return d;
  };
  auto no_tokenizer = copy_tiny("no-tokenizer", {"tokenizer.json"});
  auto no_weights = copy_tiny("no-weights", {"model.safetensors"});
  auto no_config = copy_tiny("no-config", {"config.json"});
  auto bad_config = copy_tiny("bad-config", {});
  std::ofstream(bad_config / "config.json") << "{\"model_type\": \"qwen2\", \"hidden_size\": ";
  auto bad_shapes = copy_tiny("bad-shapes", {});
  {
    json c = json::parse(std::ifstream(tiny_dir() / "config.json"));
    c["num_attention_heads"] = 3;
    std::ofstream(bad_shapes / "config.json") << c.dump();
  }
  auto bad_weights = copy_tiny("bad-weights", {});
  std::ofstream(bad_weights / "model.safetensors") << "not a safetensors file";
  auto not_chatml = copy_tiny("not-chatml", {});
  {
    json t = json::parse(std::ifstream(tiny_dir() / "tokenizer.json"));
    for (auto& a : t["added_tokens"])
      if (a["content"] == "<|im_end|>") a["content"] = "<|end|>";
    std::ofstream(not_chatml / "tokenizer.json") << t.dump();
  }
  const std::vector<std::pair<fs::path, std::string>> cases = {
      {tmp.path / "nowhere", "no such model directory"},
      {no_tokenizer, "no tokenizer.json"},
      {no_weights, "no weights"},
      {no_config, "no config.json"},
      {bad_config, "config.json"},
      {bad_shapes, "config.json"},
      {bad_weights, "model.safetensors"},
      {not_chatml, "<|im_end|>"},
  };
  for (const auto& [dir, says] : cases) {
    auto r = run_subprocess({CR1_CLI_PATH, "serve", "--model", dir.string(), "--port", "0"});
    EXPECT_EQ(r.exit_code, 2) << dir << ": " << r.err;
    EXPECT_NE(r.err.find(says), std::string::npos) << dir << ": " << r.err;
    // One line of error (spdlog's "loading" line aside), naming the directory.
    std::string error_line = r.err.substr(r.err.find("error:"));
    EXPECT_EQ(std::count(error_line.begin(), error_line.end(), '\n'), 1) << r.err;
    EXPECT_NE(error_line.find(dir.filename().string()), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace cr1::serve
