#include "ir/program_loader.h"

#include <unistd.h>

#include <fmt/format.h>
#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/IRReader/IRReader.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>

#include "util/atomic_file.h"
#include "util/subprocess.h"

namespace cr1::ir {
namespace fs = std::filesystem;

Program::Program() = default;
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;
Program::~Program() {
  module.reset();
  context.reset();
}

Expected<Recipe> parse_recipe(std::string_view name) {
  if (name == "Oz" || name == "oz") return Recipe::Oz;
  if (name == "O0" || name == "o0") return Recipe::O0;
  return make_error(ErrorKind::invalid_input, fmt::format("unknown recipe '{}' (expected Oz or O0)", name));
}

const char* recipe_name(Recipe recipe) { return recipe == Recipe::Oz ? "Oz" : "O0"; }

namespace {

std::vector<std::string> recipe_flags(Recipe recipe) {
  if (recipe == Recipe::Oz) return {"-Oz", "-Xclang", "-disable-llvm-passes"};
  return {"-O0", "-Xclang", "-disable-O0-optnone"};
}

std::string clang_path() {
  if (const char* env = std::getenv("CR1_CLANG"); env && *env) return env;
  return CR1_CLANG_PATH;
}

std::string first_line(std::string s) {
  auto nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  return s;
}

// clang -> bitcode in a temporary file -> module.
Expected<std::unique_ptr<llvm::Module>> compile_source(const fs::path& src, const LoadOptions& options,
                                                       llvm::LLVMContext& ctx) {
  char tmpl[] = "/tmp/cr1-clang-XXXXXX.bc";
  int fd = ::mkstemps(tmpl, 3);
  if (fd < 0) return make_error(ErrorKind::io, "cannot create a temporary file for clang's output");
  ::close(fd);
  std::string tmp = tmpl;
  std::vector<std::string> argv = {clang_path(), "-c", "-emit-llvm", "-o", tmp};
  for (auto& f : recipe_flags(options.recipe)) argv.push_back(f);
  for (auto& f : options.extra_clang_args) argv.push_back(f);
  argv.push_back(src.string());
  auto r = run_subprocess(argv, options.compile_timeout);
  auto cleanup = [&] { ::unlink(tmp.c_str()); };
  if (!r.success()) {
    cleanup();
    if (r.spawn_failed) return make_error(ErrorKind::compile, fmt::format("{}: cannot run clang: {}", src.string(), r.err));
    if (r.timed_out) return make_error(ErrorKind::compile, fmt::format("{}: clang timed out", src.string()));
    // clang's first "error:" line names file:line:col and the reason.
    std::string why = tail_lines(r.err, 1);
    for (size_t pos = 0; pos < r.err.size();) {
      size_t nl = r.err.find('\n', pos);
      std::string line = r.err.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      if (line.find("error:") != std::string::npos) {
        why = line;
        break;
      }
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    return make_error(ErrorKind::compile, fmt::format("{}: clang failed: {}", src.string(), why));
  }
  auto bytes = read_file(tmp);
  cleanup();
  if (!bytes) return bytes.take_error();
  if (!options.keep_bitcode_as.empty()) {
    std::error_code ec;
    fs::create_directories(options.keep_bitcode_as.parent_path(), ec);
    if (auto st = write_file_atomically(options.keep_bitcode_as, *bytes); !st) return st.take_error();
  }
  return parse_ir(*bytes, src.string(), ctx);
}

}  // namespace

bool is_source_file(const fs::path& path) {
  auto ext = path.extension().string();
  return ext == ".c" || ext == ".cc" || ext == ".cpp" || ext == ".cxx" || ext == ".C";
}

bool is_ir_file(const fs::path& path) {
  auto ext = path.extension().string();
  return ext == ".ll" || ext == ".bc";
}

Expected<std::unique_ptr<llvm::Module>> parse_ir(std::string_view bytes, std::string_view name, llvm::LLVMContext& ctx) {
  auto buffer = llvm::MemoryBuffer::getMemBuffer(llvm::StringRef(bytes.data(), bytes.size()),
                                                 llvm::StringRef(name.data(), name.size()), false);
  llvm::SMDiagnostic diag;
  auto module = llvm::parseIR(buffer->getMemBufferRef(), diag, ctx);
  if (!module) {
    std::string msg = diag.getMessage().str();
    if (diag.getLineNo() > 0)
      return make_error(ErrorKind::parse, fmt::format("{}:{}:{}: malformed IR: {}", name, diag.getLineNo(),
                                                      diag.getColumnNo() + 1, first_line(msg)));
    return make_error(ErrorKind::parse, fmt::format("{}: unreadable IR: {}", name, first_line(msg)));
  }
  return module;
}

namespace {

void collect_diagnostic(const llvm::DiagnosticInfo* info, void* context) {
  if (info->getSeverity() != llvm::DS_Error) return;
  std::string msg;
  llvm::raw_string_ostream os(msg);
  llvm::DiagnosticPrinterRawOStream printer(os);
  info->print(printer);
  os.flush();
  auto* sink = static_cast<std::string*>(context);
  if (sink->empty()) *sink = first_line(msg);
}

}  // namespace

void collect_error_diagnostics(llvm::LLVMContext& context, std::string* sink) {
  context.setDiagnosticHandlerCallBack(collect_diagnostic, sink);
}

Status verify_loaded_module(const llvm::Module& module, std::string_view name) {
  std::string msg;
  llvm::raw_string_ostream os(msg);
  if (llvm::verifyModule(module, &os)) {
    os.flush();
    return make_error(ErrorKind::verify, fmt::format("{}: invalid IR: {}", name, first_line(msg)));
  }
  return ok_status();
}

Expected<Program> load_program(std::span<const fs::path> inputs, const LoadOptions& options) {
  if (inputs.empty()) return make_error(ErrorKind::invalid_input, "no input files");
  Program program;
  program.context = std::make_unique<llvm::LLVMContext>();
  std::string diagnostic;
  collect_error_diagnostics(*program.context, &diagnostic);
  program.name = inputs.front().stem().string();
  bool any_source = false;
  for (const auto& path : inputs) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return make_error(ErrorKind::not_found, fmt::format("{}: no such file", path.string()));
    std::unique_ptr<llvm::Module> module;
    if (is_source_file(path)) {
      any_source = true;
      auto m = compile_source(path, options, *program.context);
      if (!m) return m.take_error();
      module = std::move(*m);
    } else if (is_ir_file(path)) {
      auto bytes = read_file(path);
      if (!bytes) return bytes.take_error();
      auto m = parse_ir(*bytes, path.string(), *program.context);
      if (!m) return m.take_error();
      module = std::move(*m);
    } else {
      return make_error(ErrorKind::invalid_input,
                        fmt::format("{}: unknown file type '{}' (expected .c, .cc, .cpp, .ll or .bc)", path.string(),
                                    path.extension().string()));
    }
    program.inputs.push_back(path.string());
    if (!program.module) {
      program.module = std::move(module);
    } else if (llvm::Linker::linkModules(*program.module, std::move(module),
                                         options.link_only_needed ? llvm::Linker::Flags::LinkOnlyNeeded
                                                                  : llvm::Linker::Flags::None)) {
      return make_error(ErrorKind::parse, fmt::format("{}: cannot link into {}: {}", path.string(),
                                                      inputs.front().string(),
                                                      diagnostic.empty() ? "conflicting definitions" : diagnostic));
    }
  }
  // Later users of the context (passes in workers) get LLVM's default handling back.
  program.context->setDiagnosticHandlerCallBack(nullptr, nullptr);
  if (auto ok = verify_loaded_module(*program.module, inputs.front().string()); !ok) return ok.take_error();
  if (any_source) {
    program.recipe = "clang";
    for (auto& f : recipe_flags(options.recipe)) program.recipe += " " + f;
  } else {
    program.recipe = "ir";
  }
  return program;
}

std::string module_to_bitcode(const llvm::Module& module) {
  std::string bytes;
  llvm::raw_string_ostream os(bytes);
  llvm::WriteBitcodeToFile(module, os);
  os.flush();
  return bytes;
}

Status write_module(const llvm::Module& module, const fs::path& out) {
  auto ext = out.extension().string();
  if (ext != ".bc" && ext != ".ll")
    return make_error(ErrorKind::invalid_input, fmt::format("{}: output must end in .bc or .ll", out.string()));
  std::string bytes;
  if (ext == ".bc") {
    bytes = module_to_bitcode(module);
  } else {
    llvm::raw_string_ostream os(bytes);
    module.print(os, nullptr);
    os.flush();
  }
  return write_file_atomically(out, bytes);
}

}  // namespace cr1::ir
