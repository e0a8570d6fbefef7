#include "env/worker_main.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

#include <fmt/format.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/ErrorHandling.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <nlohmann/json.hpp>

#include "env/eval_result.h"
#include "env/worker_frames.h"
#include "ir/pipeline_runner.h"
#include "ir/program_loader.h"

namespace cr1::env {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

int g_child_sock = -1;

// LLVM's report_fatal_error lands here in a worker: answer "crashed" with the
// reason, then die. The parent replaces the worker.
void child_fatal_error_handler(void*, const char* reason, bool) {
  json answer = {{"status", "crashed"}, {"message", fmt::format("LLVM ERROR: {}", reason)}, {"fatal", true}};
  write_frame(g_child_sock, answer.dump());
  ::_exit(70);
}

}  // namespace

[[noreturn]] void worker_main(const llvm::Module& module, int sock) {
  g_child_sock = sock;
  llvm::install_fatal_error_handler(child_fatal_error_handler, nullptr);
  std::string buf, payload;
  while (read_frame_blocking(sock, buf, payload)) {
    json answer;
    try {
      json req = json::parse(payload);
      std::string pipeline = req.at("pipeline").get<std::string>();
      auto clone = llvm::CloneModule(module);
      auto t0 = Clock::now();
      auto st = ir::run_pipeline(*clone, pipeline, {.verify = req.value("verify", false)});
      double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      if (!st) {
        EvalStatus status = st.error().kind == ErrorKind::verify         ? EvalStatus::invalid_ir
                            : st.error().kind == ErrorKind::invalid_pass ? EvalStatus::invalid_pass
                                                                         : EvalStatus::unsupported;
        answer = {{"status", eval_status_name(status)}, {"message", st.error().message}, {"pass_seconds", secs}};
      } else {
        answer = {{"status", "ok"}, {"instruction_count", ir::count_instructions(*clone)}, {"pass_seconds", secs}};
        std::string out = req.value("output_path", std::string());
        if (!out.empty()) {
          if (auto w = ir::write_module(*clone, out); !w)
            answer = {{"status", "crashed"}, {"message", w.error().message}};
        }
      }
    } catch (const std::exception& e) {
      answer = {{"status", "crashed"}, {"message", fmt::format("worker: bad request: {}", e.what())}};
    }
    if (!write_frame(sock, answer.dump())) break;
  }
  ::_exit(0);
}

[[noreturn]] void worker_main_from_bitcode(int sock, int bitcode_fd) {
  std::string bitcode;
  char chunk[65536];
  off_t off = 0;
  for (ssize_t r; (r = ::pread(bitcode_fd, chunk, sizeof chunk, off)) != 0; off += r) {
    if (r < 0) {
      if (errno == EINTR) {
        r = 0;
        continue;
      }
      ::_exit(71);
    }
    bitcode.append(chunk, static_cast<size_t>(r));
  }
  ::close(bitcode_fd);
  llvm::LLVMContext context;
  auto module = ir::parse_ir(bitcode, "module", context);
  if (!module) {
    std::fprintf(stderr, "worker: cannot parse the module's bitcode: %s\n", module.error().message.c_str());
    ::_exit(71);
  }
  worker_main(**module, sock);
}

}  // namespace cr1::env
