// The OpenAI-compatible endpoint policy against a real cpp-httplib server on loopback that answers
// /v1/chat/completions with scripted turns, as vLLM (structured tool_calls + reasoning_content) and
// a plain server (inline text) would.
#include "agent/openai_policy.h"

#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "agent_test_support.h"

namespace cr1::agent {
namespace {

class ScriptedServer {
 public:
  // Each handler gets the request body and returns (status, body).
  using Handler = std::function<std::pair<int, nlohmann::json>(const nlohmann::json&)>;
  explicit ScriptedServer(Handler h) : handler_(std::move(h)) {
    server_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      auto body = nlohmann::json::parse(req.body, nullptr, false);
      {
        std::lock_guard lock(mu_);
        requests.push_back(body);
        auth = req.get_header_value("Authorization");
      }
      auto [status, reply] = handler_(body);
      res.status = status;
      res.set_content(reply.dump(), "application/json");
    });
    port = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~ScriptedServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}/v1", port); }
  int port = 0;
  std::vector<nlohmann::json> requests;
  std::string auth;

 private:
  Handler handler_;
  httplib::Server server_;
  std::thread thread_;
  std::mutex mu_;
};

nlohmann::json completion(nlohmann::json message, int completion_tokens = 17) {
  return {{"id", "x"},
          {"object", "chat.completion"},
          {"choices", {{{"index", 0}, {"message", message}, {"finish_reason", "stop"}}}},
          {"usage", {{"prompt_tokens", 100}, {"completion_tokens", completion_tokens}}}};
}

TEST(OpenAiPolicy, RunsAnEpisodeAgainstALoopbackServer) {
  ScriptedServer server([](const nlohmann::json& req) -> std::pair<int, nlohmann::json> {
    size_t assistant_turns = 0;
    for (const auto& m : req["messages"]) assistant_turns += m["role"] == "assistant";
    if (assistant_turns == 0)  // vLLM with a tool parser and a reasoning parser
      return {200, completion({{"role", "assistant"},
                               {"reasoning_content", "Try a short cleanup sequence."},
                               {"content", ""},
                               {"tool_calls",
                                {{{"id", "call_0"},
                                  {"type", "function"},
                                  {"function",
                                   {{"name", "instrcount"},
                                    {"arguments", R"({"filename": "matrix.bc", "optimization_flags": ["--sroa", "--instcombine"]})"}}}}}}})};
    return {200, completion({{"role", "assistant"},
                             {"content", "<think>Measured; good enough.</think>\n<answer>[\"--sroa\", \"--instcombine\"]</answer>"}})};
  });
  auto file = cr1::test::example("matrix.c");
  test::SessionTools tools;
  tools.add("matrix.bc", file);
  auto verifier = test::session_of(file);
  auto info = test::info_of(cr1::test::load_or_die(file), "matrix.bc");

  OpenAiOptions o;
  o.base_url = server.url();
  o.model = "qwen-test";
  o.api_key = "secret";
  o.seed = 3;
  OpenAiPolicy policy(o);
  auto r = run_episode(info, policy, tools.tools(), *verifier);
  EXPECT_EQ(r.end_reason, "answer") << r.policy_error;
  EXPECT_TRUE(r.format.exact);
  EXPECT_EQ(r.path, "A");
  EXPECT_EQ(r.verified_status, "ok");
  // The structured reply came back in inline form.
  EXPECT_EQ(r.messages[2].content,
            "<think>Try a short cleanup sequence.</think>\n<tool_call>\n{\"name\": \"instrcount\", \"arguments\": "
            "{\"filename\": \"matrix.bc\", \"optimization_flags\": [\"--sroa\", \"--instcombine\"]}}\n</tool_call>");
  EXPECT_EQ(r.turns[0].tokens, 17u);  // from usage
  ASSERT_EQ(server.requests.size(), 2u);
  const auto& second = server.requests[1];
  EXPECT_EQ(second["model"], "qwen-test");
  EXPECT_EQ(second["seed"], 3);
  EXPECT_EQ(second["tools"].size(), 2u);
  EXPECT_GT(second["max_tokens"].get<size_t>(), 0u);
  ASSERT_EQ(second["messages"].size(), 4u);
  EXPECT_EQ(second["messages"][3]["role"], "user");  // the text style: tool results as <tool_response> turns
  EXPECT_NE(second["messages"][3]["content"].get<std::string>().find("<tool_response>\n{\"filename\""), std::string::npos);
  EXPECT_EQ(server.auth, "Bearer secret");
}

TEST(OpenAiPolicy, StructuredStyleSendsToolCallsWithIds) {
  std::vector<ChatMessage> msgs = {{"system", "S"}, {"user", "U"},
                                   {"assistant", "<think>t</think>\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n</tool_call>"},
                                   {"tool", "{\"status\": \"success\"}"}};
  std::vector<EpisodeStep> steps(1);
  steps[0].parsed.tool_call = ToolCall{"f", {{"a", 1}}};
  ProgramInfo p;
  nlohmann::json tools = nlohmann::json::array();
  EpisodeState s{p, msgs, tools, steps, 0};
  OpenAiOptions o;
  o.model = "m";
  o.style = MessageStyle::openai;
  auto body = OpenAiPolicy(o).request_body(s);
  const auto& m = body["messages"];
  EXPECT_EQ(m[2]["content"], "<think>t</think>");
  EXPECT_EQ(m[2]["tool_calls"][0]["id"], "call_1");
  EXPECT_EQ(m[2]["tool_calls"][0]["function"]["arguments"], "{\"a\":1}");
  EXPECT_EQ(m[3]["role"], "tool");
  EXPECT_EQ(m[3]["tool_call_id"], "call_1");
  EXPECT_FALSE(body.contains("tools"));
  EXPECT_FALSE(body.contains("max_tokens"));
}

TEST(OpenAiPolicy, ServerErrorsAreTypedAndRetried) {
  int calls = 0;
  ScriptedServer server([&](const nlohmann::json&) -> std::pair<int, nlohmann::json> {
    ++calls;
    if (calls == 1) return {503, {{"error", "busy"}}};
    if (calls == 2) return {200, completion({{"role", "assistant"}, {"content", "<think>x</think><answer>[\"-Oz\"]</answer>"}})};
    return {400, {{"error", {{"message", "bad model"}}}}};
  });
  OpenAiOptions o;
  o.base_url = fmt::format("http://127.0.0.1:{}", server.port);  // no path: /v1 is added
  o.model = "m";
  OpenAiPolicy policy(o);
  std::vector<ChatMessage> msgs = {{"user", "U"}};
  std::vector<EpisodeStep> steps;
  ProgramInfo p;
  nlohmann::json tools = nlohmann::json::array();
  EpisodeState s{p, msgs, tools, steps, 0};
  auto ok = policy.act(s);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->text, "<think>x</think><answer>[\"-Oz\"]</answer>");
  EXPECT_EQ(calls, 2);
  auto bad = policy.act(s);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("HTTP 400"), std::string::npos) << bad.error().message;

  OpenAiOptions down = o;
  down.base_url = "http://127.0.0.1:1/v1";
  down.retries = 0;
  auto refused = OpenAiPolicy(down).act(s);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("127.0.0.1:1"), std::string::npos) << refused.error().message;
  OpenAiOptions junk = o;
  junk.base_url = "localhost:8000";
  EXPECT_FALSE(OpenAiPolicy(junk).act(s).ok());
}

}  // namespace
}  // namespace cr1::agent
