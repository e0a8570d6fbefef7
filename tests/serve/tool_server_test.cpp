// The tools' HTTP service on loopback: routes, errors as JSON, and many
// clients in flight at once with every answer correct.
#include "serve/tool_server.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "test_support.h"

extern char** environ;

namespace cr1::serve {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Holds every call until `want` calls are inside at once (or a deadline
// passes), then runs them: proof that the server had them all in flight.
class GateToolbox final : public agent::Toolbox {
 public:
  GateToolbox(agent::Toolbox& inner, int want) : inner_(inner), want_(want) {}
  json call(std::string_view name, const json& args) override {
    {
      std::unique_lock lock(mu_);
      max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(20), [&] { return in_flight_ >= want_ || open_; });
      open_ = true;  // once reached, let everyone through
      cv_.notify_all();
    }
    json r = inner_.call(name, args);
    std::lock_guard lock(mu_);
    --in_flight_;
    return r;
  }
  json instrcount(const std::string& f, const std::string& flags) override { return inner_.instrcount(f, flags); }
  json find_best_pass_sequence(const std::string& f) override { return inner_.find_best_pass_sequence(f); }
  int max_in_flight() {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }

 private:
  agent::Toolbox& inner_;
  int want_;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0, max_in_flight_ = 0;
  bool open_ = false;
};

struct Root {
  test::TempDir dir;
  Root() {
    fs::copy_file(test::example("matrix.c"), dir.path / "matrix.c");
    fs::copy_file(test::example("wordfreq.c"), dir.path / "wordfreq.c");
  }
};

std::unique_ptr<agent::Toolbox> open_toolbox(const fs::path& root) {
  agent::ToolboxOptions o;
  o.program_root = root;
  o.jobs = 2;
  auto tb = agent::Toolbox::open(o);
  if (!tb) throw std::runtime_error(tb.error().message);
  return std::move(*tb);
}

TEST(ToolServer, RoutesAndErrorsAreJson) {
  Root root;
  auto tb = open_toolbox(root.dir.path);
  ToolServer server(*tb);
  auto port = server.start();
  ASSERT_TRUE(port) << port.error().message;
  ASSERT_GT(*port, 0);
  httplib::Client c("127.0.0.1", *port);

  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(json::parse(h->body)["status"], "ok");

  auto t = c.Get("/tools");
  ASSERT_TRUE(t);
  EXPECT_EQ(json::parse(t->body), agent::Toolbox::schemas());

  json args = {{"filename", "matrix.c"}, {"optimization_flags", {"--sroa", "--instcombine"}}};
  auto r = c.Post("/tools/instrcount", args.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(r->body), tb->call("instrcount", args));
  EXPECT_EQ(json::parse(r->body)["status"], "success");

  // A tool's own error is a 200 result the model sees.
  auto bad_pass = c.Post("/tools/instrcount", json{{"filename", "matrix.c"}, {"optimization_flags", {"--nope"}}}.dump(),
                         "application/json");
  ASSERT_TRUE(bad_pass);
  EXPECT_EQ(bad_pass->status, 200);
  EXPECT_EQ(json::parse(bad_pass->body)["status"], "error");
  auto escape = c.Post("/tools/instrcount", json{{"filename", "../x.c"}, {"optimization_flags", {"--sroa"}}}.dump(),
                       "application/json");
  ASSERT_TRUE(escape);
  EXPECT_NE(json::parse(escape->body)["error"].get<std::string>().find("outside"), std::string::npos);

  // Transport errors: HTTP codes with a JSON body.
  auto bad_json = c.Post("/tools/instrcount", "{\"filename\": ", "application/json");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400);
  EXPECT_EQ(json::parse(bad_json->body)["status"], "error");
  auto unknown = c.Post("/tools/rm_rf", "{}", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_NE(json::parse(unknown->body)["error"].get<std::string>().find("rm_rf"), std::string::npos);
  auto nowhere = c.Get("/nowhere");
  ASSERT_TRUE(nowhere);
  EXPECT_EQ(nowhere->status, 404);
  EXPECT_EQ(json::parse(nowhere->body)["status"], "error");
  EXPECT_GE(server.requests(), 7u);

  server.stop();
  server.stop();  // idempotent
  EXPECT_FALSE(httplib::Client("127.0.0.1", *port).Get("/health"));
}

TEST(ToolServer, ManyClientsInFlightAllAnsweredCorrectly) {
  constexpr int kClients = 48, kInFlight = 32;
  Root root;
  auto inner = open_toolbox(root.dir.path);
  // The expected answers, computed directly (also warms the cache: the test is about the server).
  std::vector<json> requests, want;
  const std::vector<std::vector<std::string>> seqs = {
      {"--sroa"}, {"--mem2reg", "--instcombine"}, {"-Oz"}, {"--gvn", "--simplifycfg"}, {"--no-such-pass"}};
  for (int i = 0; i < kClients; ++i) {
    const char* file = i % 2 ? "matrix.c" : "wordfreq.c";
    json args = {{"filename", file}, {"optimization_flags", seqs[static_cast<size_t>(i) % seqs.size()]}};
    if (i % 11 == 10) args = {{"filename", "../../etc/passwd"}, {"optimization_flags", {"--sroa"}}};
    requests.push_back(args);
    want.push_back(inner->call("instrcount", args));
  }
  GateToolbox gate(*inner, kInFlight);
  ToolServer server(gate, {.threads = 64});
  auto port = server.start();
  ASSERT_TRUE(port) << port.error().message;

  std::atomic<int> correct{0}, failed_transport{0};
  std::mutex errors_mu;
  std::vector<std::string> errors;
  std::vector<std::thread> clients;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", *port);
      c.set_read_timeout(60, 0);
      auto r = c.Post("/tools/instrcount", requests[static_cast<size_t>(i)].dump(), "application/json");
      if (!r || r->status != 200) {
        ++failed_transport;
        std::lock_guard lock(errors_mu);
        errors.push_back(r ? fmt::format("HTTP {}", r->status) : httplib::to_string(r.error()));
        return;
      }
      if (json::parse(r->body) == want[static_cast<size_t>(i)]) ++correct;
    });
  for (auto& t : clients) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(failed_transport.load(), 0) << (errors.empty() ? "" : errors.front());
  EXPECT_EQ(correct.load(), kClients);
  EXPECT_GE(gate.max_in_flight(), kInFlight);
  std::printf("[ measured ] %d clients, %d in flight at once (max), all correct in %.2f s\n", kClients,
              gate.max_in_flight(), secs);
}

TEST(ToolServer, PortInUseIsAClearError) {
  Root root;
  auto tb = open_toolbox(root.dir.path);
  ToolServer a(*tb);
  auto port = a.start();
  ASSERT_TRUE(port);
  ToolServer b(*tb, {.port = *port});
  auto again = b.start();
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find(std::to_string(*port)), std::string::npos);
}

// `compiler-r1 serve --tools` end to end: start, answer, stop on SIGTERM.
TEST(ServeCli, ToolsServiceStartsAnswersAndStops) {
  Root root;
  test::TempDir out;
  auto log = out.path / "stdout.txt";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv = {CR1_CLI_PATH, "serve", "--tools", "--port", "0", "--root", root.dir.path.string(), "-j", "1"};
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, CR1_CLI_PATH, &fa, nullptr, cargv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);

  int port = 0;
  std::regex re(R"(http://127\.0\.0\.1:(\d+))");
  for (int i = 0; i < 600 && !port; ++i) {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    std::smatch m;
    if (std::regex_search(text, m, re)) port = std::stoi(m[1]);
    else std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(port, 0) << "the server never printed its address";
  httplib::Client c("127.0.0.1", port);
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto r = c.Post("/tools/instrcount", json{{"filename", "matrix.c"}, {"optimization_flags", {"-Oz"}}}.dump(),
                  "application/json");
  ASSERT_TRUE(r);
  json j = json::parse(r->body);
  EXPECT_EQ(j["status"], "success") << r->body;
  EXPECT_EQ(j["improvement_over_oz"], 0.0);

  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(ServeCli, WithoutAServiceIsAClearError) {
  auto r = run_subprocess({CR1_CLI_PATH, "serve", "--port", "0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--tools"), std::string::npos) << r.err;
  auto m = run_subprocess({CR1_CLI_PATH, "serve", "--model", "/tmp/x"});
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_NE(m.err.find("--model"), std::string::npos) << m.err;
}

}  // namespace
}  // namespace cr1::serve
