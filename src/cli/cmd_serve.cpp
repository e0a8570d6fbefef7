// `compiler-r1 serve`: HTTP services on loopback (or --host).
//   --tools       the agent's tools as a JSON service (serve/tool_server.h)
//   --model DIR   the OpenAI-compatible chat API (to come: it adds one mode below)
// Each mode starts its server and hands back something to stop; serve then
// waits for SIGINT/SIGTERM and stops every server cleanly (exit 0).
#include <pthread.h>
#include <signal.h>

#include <functional>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/toolbox.h"
#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "serve/tool_server.h"

namespace cr1::cli {
namespace {

struct ServeArgs {
  bool tools = false;
  std::string model;
  std::string host = "127.0.0.1";
  int port = 8000;
  int threads = 64;
  // --tools
  std::string root = ".";
  std::string graph;
  uint64_t seed = 0;
  size_t fbps_evaluations = 0;
  int jobs = 0;
  double timeout_seconds = 10;
  std::string cache_path;
};

// A started service: where it listens and how to stop it.
struct RunningService {
  std::string what;
  std::string url;
  std::function<void()> stop;
};

RunningService start_tool_service(const ServeArgs& a, std::shared_ptr<void>& keep) {
  if (a.jobs < 0) throw CliError("--jobs must be positive");
  if (a.timeout_seconds <= 0) throw CliError("--timeout must be positive");
  agent::ToolboxOptions o;
  o.program_root = a.root;
  o.synergy_graph = a.graph;
  o.fbps_seed = a.seed;
  o.fbps_max_evaluations = a.fbps_evaluations;
  o.jobs = a.jobs;
  o.timeout_seconds = a.timeout_seconds;
  o.cache_path = a.cache_path;
  std::shared_ptr<agent::Toolbox> toolbox = unwrap(agent::Toolbox::open(o));
  auto server = std::make_shared<serve::ToolServer>(
      *toolbox, serve::ToolServerOptions{.host = a.host, .port = a.port, .threads = a.threads});
  int port = unwrap(server->start(), kExitFailure);
  // The toolbox must outlive the server: keep both, server first to go.
  keep = std::make_shared<std::pair<std::shared_ptr<agent::Toolbox>, std::shared_ptr<serve::ToolServer>>>(toolbox, server);
  return {"the agent's tools (GET /health, GET /tools, POST /tools/<name>)",
          fmt::format("http://{}:{}", a.host, port), [server] { server->stop(); }};
}

void run_serve(const ServeArgs& a) {
  if (!a.model.empty())
    throw CliError("--model: the OpenAI-compatible chat server is not part of this build yet; use --tools");
  if (!a.tools) throw CliError("nothing to serve: give --tools (the agent's tools over HTTP)");
  if (a.port < 0 || a.port > 65535) throw CliError(fmt::format("--port must be in 0..65535, got {}", a.port));

  // Server threads inherit this mask, so only the sigwait below sees the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::shared_ptr<void> keep;
  RunningService service = start_tool_service(a, keep);
  std::cout << fmt::format("serving {} on {}", service.what, service.url) << std::endl;
  spdlog::info("serving on {} (Ctrl-C to stop)", service.url);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: stopping", sig);
  service.stop();
}

void add_serve_command(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "HTTP services: the agent's tools (--tools)");
  cmd->add_flag("--tools", a->tools, "Serve the agent's tools as a JSON service");
  cmd->add_option("--model", a->model, "Serve a model as an OpenAI-compatible chat API (not in this build yet)");
  cmd->add_option("--host", a->host, "Address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", a->port, "Port (default 8000; 0 = any free port, printed on stdout)");
  cmd->add_option("--threads", a->threads, "Requests handled at once (default 64)");
  cmd->add_option("--root", a->root, "Program root for --tools: filenames resolve inside it (default: current folder)");
  cmd->add_option("--graph", a->graph, "Synergy graph TSV for FBPS (default: the shipped one)");
  cmd->add_option("--seed", a->seed, "FBPS seed (default 0)");
  cmd->add_option("--fbps-evaluations", a->fbps_evaluations, "FBPS budget (default: the paper's, 100 x 10 generations)");
  cmd->add_option("-j,--jobs", a->jobs, "Worker processes per program (default: all cores)");
  cmd->add_option("--timeout", a->timeout_seconds, "Seconds before an evaluation is killed (default 10)");
  cmd->add_option("--cache", a->cache_path, "Persistent SQLite result cache");
  cmd->callback([a] { run_serve(*a); });
}

const CommandRegistration kRegistration{90, add_serve_command};

}  // namespace
}  // namespace cr1::cli
