#include "serve/tool_server.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "serve/http_listen.h"

namespace cr1::serve {

namespace {

using nlohmann::json;

constexpr const char* kJson = "application/json";

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), kJson);
}

json error_json(std::string message) { return {{"status", "error"}, {"error", std::move(message)}}; }

bool known_tool(std::string_view name) {
  for (const auto& s : agent::Toolbox::schemas())
    if (s["function"]["name"] == name) return true;
  return false;
}

}  // namespace

struct ToolServer::Counters {
  std::atomic<uint64_t> requests{0};
};

ToolServer::ToolServer(agent::Toolbox& toolbox, ToolServerOptions options)
    : toolbox_(toolbox), o_(std::move(options)), server_(std::make_unique<httplib::Server>()),
      listener_(std::make_unique<BackgroundListener>(*server_)), counters_(std::make_unique<Counters>()) {
  add_routes();
}

ToolServer::~ToolServer() { stop(); }

uint64_t ToolServer::requests() const { return counters_->requests.load(); }

void ToolServer::add_routes() {
  auto& s = *server_;
  configure_server(s, o_.threads, o_.max_body_bytes);

  s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    ++counters_->requests;
    reply(res, 200, {{"status", "ok"}});
  });
  s.Get("/tools", [this](const httplib::Request&, httplib::Response& res) {
    ++counters_->requests;
    reply(res, 200, agent::Toolbox::schemas());
  });
  s.Post(R"(/tools/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    ++counters_->requests;
    std::string name = req.matches[1];
    if (!known_tool(name)) {
      reply(res, 404, error_json(fmt::format("unknown tool '{}' (GET /tools lists them)", name)));
      return;
    }
    json args = json::parse(req.body, nullptr, false);
    if (args.is_discarded()) {
      reply(res, 400, error_json(fmt::format("{}: request body is not valid JSON (expected the arguments object)", name)));
      return;
    }
    reply(res, 200, toolbox_.call(name, args));
  });
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    // Only fills in bodies the handlers left empty (unmatched paths, oversized bodies, ...).
    if (!res.body.empty()) return;
    reply(res, res.status, error_json(fmt::format("{} {}: HTTP {}", req.method, req.path, res.status)));
  });
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    reply(res, 500, error_json(fmt::format("{} {}: internal error: {}", req.method, req.path, what)));
  });
}

Expected<int> ToolServer::start() { return listener_->start(o_.host, o_.port); }
void ToolServer::stop() { listener_->stop(); }
void ToolServer::wait() { listener_->wait(); }

}  // namespace cr1::serve
