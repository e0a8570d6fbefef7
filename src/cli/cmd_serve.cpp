// `compiler-r1 serve`: HTTP services on loopback (or --host).
//   --tools       the agent's tools as a JSON service (serve/tool_server.h)
//   --model DIR   the OpenAI-compatible chat API of a built-in model (serve/chat_completion_server.h)
// Both may run in one process: the chat API on --port, the tools on --tools-port (default --port + 1).
// Each mode starts its server and hands back something to stop; serve then
// waits for SIGINT/SIGTERM and stops every server cleanly (exit 0).
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/toolbox.h"
#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "cli/toolbox_args.h"
#include "serve/tool_server.h"
#if CR1_WITH_MODEL
#include "serve/chat_completion_server.h"
#include "serve/chat_model.h"
#endif

namespace cr1::cli {
namespace {

struct ServeArgs {
  bool tools = false;
  std::string model;
  std::string host = "127.0.0.1";
  int port = 8000;
  int tools_port = -1;  // with --model and --tools: where the tools go (default --port + 1)
  int threads = 64;
  // --model
  std::string served_name;
  std::string device = "cpu";
  std::string dtype;
  int torch_threads = 0;
  size_t max_batch = 16;
  double batch_window_ms = 5;
  ToolboxArgs toolbox;  // --tools
};

// A started service: where it listens and how to stop it.
struct RunningService {
  std::string what;
  std::string url;
  std::function<void()> stop;
};

RunningService start_tool_service(const ServeArgs& a, int port_wanted, std::shared_ptr<void>& keep) {
  std::shared_ptr<agent::Toolbox> toolbox = unwrap(agent::Toolbox::open(a.toolbox.options()));
  auto server = std::make_shared<serve::ToolServer>(
      *toolbox, serve::ToolServerOptions{.host = a.host, .port = port_wanted, .threads = a.threads});
  int port = unwrap(server->start(), kExitFailure);
  // The toolbox must outlive the server: keep both, server first to go.
  keep = std::make_shared<std::pair<std::shared_ptr<agent::Toolbox>, std::shared_ptr<serve::ToolServer>>>(toolbox, server);
  return {"the agent's tools (GET /health, GET /tools, POST /tools/<name>)",
          fmt::format("http://{}:{}", a.host, port), [server] { server->stop(); }};
}

#if CR1_WITH_MODEL
// The model directory is checked before anything listens: a bad one is exit 2 with one line.
RunningService start_chat_service(const ServeArgs& a, std::shared_ptr<void>& keep) {
  if (a.max_batch < 1) throw CliError("--max-batch must be at least 1");
  if (a.batch_window_ms < 0) throw CliError("--batch-window must be >= 0");
  serve::ChatModelOptions o;
  o.runtime.device = a.device;
  o.runtime.num_threads = a.torch_threads;
  if (!a.dtype.empty()) o.runtime.dtype = unwrap(model::parse_weight_dtype(a.dtype));
  o.served_name = a.served_name;
  spdlog::info("loading {}", a.model);
  auto opened = serve::ChatModel::open(a.model, o);
  if (!opened) throw CliError("--model " + opened.error().message);
  std::shared_ptr<serve::ChatModel> chat = std::move(*opened);
  serve::ChatServerOptions so{.host = a.host, .port = a.port, .threads = a.threads};
  so.batching.max_batch = a.max_batch;
  so.batching.window = std::chrono::microseconds(static_cast<int64_t>(a.batch_window_ms * 1000));
  auto server = std::make_shared<serve::ChatCompletionServer>(*chat, so);
  int port = unwrap(server->start(), kExitFailure);
  keep = std::make_shared<std::pair<std::shared_ptr<serve::ChatModel>, std::shared_ptr<serve::ChatCompletionServer>>>(chat, server);
  return {fmt::format("model '{}' (POST /v1/chat/completions, GET /v1/models)", chat->name()),
          fmt::format("http://{}:{}/v1", a.host, port), [server] { server->stop(); }};
}
#else  // a build without libtorch (CR1_WITH_TORCH=OFF) has no chat server (src/CMakeLists.txt leaves it out)
RunningService start_chat_service(const ServeArgs&, std::shared_ptr<void>&) {
  throw CliError("--model: this build has no model support (built without libtorch)");
}
#endif

void run_serve(const ServeArgs& a) {
  if (!a.tools && a.model.empty())
    throw CliError("nothing to serve: give --model DIR (the OpenAI-compatible chat API) and/or --tools (the agent's tools)");
  if (a.port < 0 || a.port > 65535) throw CliError(fmt::format("--port must be in 0..65535, got {}", a.port));
  if (a.tools_port > 65535) throw CliError(fmt::format("--tools-port must be in 0..65535, got {}", a.tools_port));
  if (a.tools_port >= 0 && (!a.tools || a.model.empty()))
    throw CliError("--tools-port is for --tools together with --model (alone, --tools listens on --port)");

  // Server threads inherit this mask, so only the sigwait below sees the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<std::shared_ptr<void>> keep(2);
  std::vector<RunningService> services;
  if (!a.model.empty()) services.push_back(start_chat_service(a, keep[0]));
  if (a.tools) {
    int port = a.port;
    if (!a.model.empty()) port = a.tools_port >= 0 ? a.tools_port : (a.port == 0 ? 0 : a.port + 1);
    services.push_back(start_tool_service(a, port, keep[1]));
  }
  for (const auto& service : services) {
    std::cout << fmt::format("serving {} on {}", service.what, service.url) << std::endl;
    spdlog::info("serving on {} (Ctrl-C to stop)", service.url);
  }

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: stopping", sig);
  for (auto& service : services) service.stop();
}

void add_serve_command(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "HTTP services: an OpenAI-compatible chat API (--model DIR), the agent's tools (--tools)");
  cmd->add_flag("--tools", a->tools, "Serve the agent's tools as a JSON service");
  cmd->add_option("--model", a->model, "Serve this HF model directory as an OpenAI-compatible chat API (/v1/chat/completions)");
  cmd->add_option("--served-model-name", a->served_name, "Model id in the API (default: the directory's name)");
  cmd->add_option("--device", a->device, "--model: cpu, cuda or cuda:N (default cpu)");
  cmd->add_option("--dtype", a->dtype, "--model: compute dtype f32, bf16 or f16 (default: f32 on the CPU, the checkpoint's on CUDA)");
  cmd->add_option("--torch-threads", a->torch_threads, "--model: torch intra-op threads (default: torch's)");
  cmd->add_option("--max-batch", a->max_batch, "--model: requests generated together at most (default 16)");
  cmd->add_option("--batch-window", a->batch_window_ms, "--model: at most ms an idle server waits for as many requests as its recent batches had (default 5)");
  cmd->add_option("--tools-port", a->tools_port, "With --model and --tools: the tools' port (default --port + 1)");
  cmd->add_option("--host", a->host, "Address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", a->port, "Port (default 8000; 0 = any free port, printed on stdout)");
  cmd->add_option("--threads", a->threads, "Requests handled at once (default 64)");
  a->toolbox.add_to(*cmd, "Program root for --tools: filenames resolve inside it (default: current folder)");
  cmd->callback([a] { run_serve(*a); });
}

const CommandRegistration kRegistration{90, add_serve_command};

}  // namespace
}  // namespace cr1::cli
