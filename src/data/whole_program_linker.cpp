#include "data/whole_program_linker.h"

#include <fmt/format.h>
#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Support/MemoryBuffer.h>

#include "util/atomic_file.h"

namespace cr1::data {
namespace fs = std::filesystem;

namespace {

std::string first_line(std::string s) {
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

// A later member: bitcode is read lazily (function bodies are parsed when the
// Linker moves them), other IR (text) in full.
Expected<std::unique_ptr<llvm::Module>> open_member(const fs::path& path, llvm::LLVMContext& ctx) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.take_error();
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(*bytes, path.string());
  if (!llvm::isBitcode(reinterpret_cast<const unsigned char*>(buffer->getBufferStart()),
                       reinterpret_cast<const unsigned char*>(buffer->getBufferEnd())))
    return ir::parse_ir(*bytes, path.string(), ctx);
  auto module = llvm::getOwningLazyBitcodeModule(std::move(buffer), ctx);
  if (!module)
    return make_error(ErrorKind::parse,
                      fmt::format("{}: unreadable IR: {}", path.string(), first_line(llvm::toString(module.takeError()))));
  return std::move(*module);
}

bool replaceable_by_linking(const llvm::GlobalValue& gv) {
  return gv.isWeakForLinker() || gv.hasAvailableExternallyLinkage();
}

}  // namespace

uint64_t fixed_instruction_count(const llvm::Module& module) {
  uint64_t n = 0;
  for (const llvm::Function& f : module)
    if (!f.isDeclaration() && !replaceable_by_linking(f)) n += f.getInstructionCount();
  return n;
}

Expected<LinkedProgram> link_whole_program(std::span<const fs::path> members, uint64_t max_insts) {
  if (members.empty()) return make_error(ErrorKind::invalid_input, "no input files");
  LinkedProgram out;
  ir::Program program;
  program.context = std::make_unique<llvm::LLVMContext>();
  std::string diagnostic;
  ir::collect_error_diagnostics(*program.context, &diagnostic);
  program.name = members.front().stem().string();
  for (const auto& path : members) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return make_error(ErrorKind::not_found, fmt::format("{}: no such file", path.string()));
    if (!ir::is_ir_file(path))
      return make_error(ErrorKind::invalid_input,
                        fmt::format("{}: unknown file type '{}' (expected .ll or .bc)", path.string(),
                                    path.extension().string()));
    program.inputs.push_back(path.string());
    if (!program.module) {
      // The main TU: all of it is kept, so it is read in full.
      auto bytes = read_file(path);
      if (!bytes) return bytes.take_error();
      auto m = ir::parse_ir(*bytes, path.string(), *program.context);
      if (!m) return m.take_error();
      program.module = std::move(*m);
    } else {
      auto m = open_member(path, *program.context);
      if (!m) return m.take_error();
      if (llvm::Linker::linkModules(*program.module, std::move(*m), llvm::Linker::Flags::LinkOnlyNeeded))
        return make_error(ErrorKind::parse, fmt::format("{}: cannot link into {}: {}", path.string(),
                                                        members.front().string(),
                                                        diagnostic.empty() ? "conflicting definitions" : diagnostic));
    }
    ++out.linked;
    if (out.linked < members.size()) {
      // The last member needs no check: the complete module is counted exactly.
      uint64_t fixed = fixed_instruction_count(*program.module);
      if (fixed > max_insts) {
        out.at_least = fixed;
        return out;
      }
    }
  }
  program.context->setDiagnosticHandlerCallBack(nullptr, nullptr);
  if (auto ok = ir::verify_loaded_module(*program.module, members.front().string()); !ok) return ok.take_error();
  program.recipe = "ir";
  out.program = std::move(program);
  return out;
}

}  // namespace cr1::data
