// The agent's tools as an HTTP JSON service (cpp-httplib), so that external
// agent or RL frameworks can call them:
//   GET  /health             -> {"status":"ok"}
//   GET  /tools              -> the tools' schemas (OpenAI / Qwen function-calling form)
//   POST /tools/<name>       -> body = the arguments object; answer = the tool's result
// A tool's own failure (unknown pass, path outside the root, crash, ...) is a
// result: 200 with {"status":"error","error":...}, exactly what the model is
// shown. The transport's failures are HTTP errors with a JSON body of the same
// form: 400 for a body that is not JSON, 404 for an unknown tool or path, 500
// for a bug of ours. Handlers never throw.
#pragma once

#include <memory>
#include <string>

#include "agent/toolbox.h"
#include "serve/http_listen.h"
#include "util/expected.h"

namespace httplib {
class Server;
}

namespace cr1::serve {

struct ToolServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;       // 0 = any free port (see ToolServer::port())
  int threads = 64;   // requests handled at once; the tools block while they evaluate
  size_t max_body_bytes = 1 << 20;
};

class ToolServer {
 public:
  // `toolbox` must outlive the server.
  ToolServer(agent::Toolbox& toolbox, ToolServerOptions options = {});
  ~ToolServer();  // stops
  ToolServer(const ToolServer&) = delete;
  ToolServer& operator=(const ToolServer&) = delete;

  // Binds and starts serving on a background thread; returns the port.
  Expected<int> start();
  // Stops accepting, finishes nothing new, joins the thread. Idempotent.
  void stop();
  // Blocks until stop() is called (from another thread).
  void wait();

  int port() const { return listener_->port(); }
  const std::string& host() const { return o_.host; }
  uint64_t requests() const;

 private:
  void add_routes();

  agent::Toolbox& toolbox_;
  ToolServerOptions o_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<BackgroundListener> listener_;  // after server_: stops before it goes
  struct Counters;
  std::unique_ptr<Counters> counters_;
};

}  // namespace cr1::serve
