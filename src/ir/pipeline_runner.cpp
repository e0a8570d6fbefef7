#include "ir/pipeline_runner.h"

#include <map>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <llvm/Analysis/CGSCCPassManager.h>
#include <llvm/Analysis/LoopAnalysisManager.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Passes/StandardInstrumentations.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Triple.h>

namespace cr1::ir {
namespace {

// CR1_NATIVE_TARGET_ONLY (the static build's default, cmake/static_llvm.cmake): only the host's target is
// linked, which makes the portable binary a fraction of the size; IR for another target is then refused
// (target_machine_for) rather than counted with a generic TTI.
void initialize_targets() {
  static std::once_flag once;
  std::call_once(once, [] {
#if CR1_NATIVE_TARGET_ONLY
    llvm::InitializeNativeTarget();  // its TargetInfo, Target and MC layer
#else
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
#endif
  });
}

// The targets this binary can build a TargetMachine for, e.g. "x86, x86-64".
std::string linked_targets() {
  std::string out;
  for (const llvm::Target& t : llvm::TargetRegistry::targets()) out += (out.empty() ? "" : ", ") + std::string(t.getName());
  return out.empty() ? "none" : out;
}

// opt builds a TargetMachine for the module's triple with the default CPU and
// features (the functions' own target-cpu attributes still apply through TTI).
// Without one, TTI-driven passes (simplifycfg's lookup tables, unrolling, ...)
// would see a generic target and counts would differ from opt's.
// Like opt, a triple whose architecture LLVM does not know gets no TargetMachine (and counts as opt's
// do); one of a known architecture whose target this binary does not link (a native-only build) is an
// error, since its counts would silently differ from those of an LLVM that has the target.
Expected<llvm::TargetMachine*> target_machine_for(const std::string& triple) {
  initialize_targets();
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<llvm::TargetMachine>> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(triple);
  if (it != cache.end()) return it->second.get();
  std::unique_ptr<llvm::TargetMachine> tm;
  std::string err;
  if (!triple.empty()) {
    // The few API differences across LLVM 17-22 are kept here.
#if LLVM_VERSION_MAJOR >= 21
    llvm::Triple tt(triple);
#else
    const std::string& tt = triple;
#endif
#if LLVM_VERSION_MAJOR >= 18
    constexpr auto level = llvm::CodeGenOptLevel::Default;
#else
    constexpr auto level = llvm::CodeGenOpt::Default;
#endif
    if (const llvm::Target* target = llvm::TargetRegistry::lookupTarget(tt, err))
      tm.reset(target->createTargetMachine(tt, "", "", llvm::TargetOptions(), std::nullopt, std::nullopt, level));
    else if (llvm::Triple(triple).getArch() != llvm::Triple::UnknownArch)
      return make_error(ErrorKind::invalid_input,
                        fmt::format("target triple '{}': its LLVM target is not linked into this compiler-r1 (it has: {}); "
                                    "use a build with all LLVM targets (-DCR1_NATIVE_TARGET_ONLY=OFF)",
                                    triple, linked_targets()));
  }
  auto* raw = tm.get();
  cache.emplace(triple, std::move(tm));
  return raw;
}

std::string error_text(llvm::Error err) {
  std::string msg = llvm::toString(std::move(err));
  for (char& c : msg)
    if (c == '\n') c = ' ';
  return msg;
}

}  // namespace

std::string llvm_version() { return LLVM_VERSION_STRING; }

Status check_pipeline(std::string_view pipeline) {
  if (pipeline.empty()) return make_error(ErrorKind::invalid_pass, "empty pipeline");
  // Parsing needs no analyses and no target, so one builder serves every call
  // of a thread.
  thread_local llvm::PassBuilder pb;
  llvm::ModulePassManager mpm;
  if (auto err = pb.parsePassPipeline(mpm, llvm::StringRef(pipeline.data(), pipeline.size())))
    return make_error(ErrorKind::invalid_pass, error_text(std::move(err)));
  return ok_status();
}

Status run_pipeline(llvm::Module& module, std::string_view pipeline, const RunOptions& options) {
#if LLVM_VERSION_MAJOR >= 21
  auto target = target_machine_for(module.getTargetTriple().str());
#else
  auto target = target_machine_for(module.getTargetTriple());
#endif
  if (!target) return target.take_error();
  llvm::TargetMachine* tm = *target;

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  // Like opt: standard instrumentations make passes skip optnone functions.
  llvm::PassInstrumentationCallbacks pic;
  llvm::StandardInstrumentations si(module.getContext(), /*DebugLogging=*/false, /*VerifyEach=*/false);
  si.registerCallbacks(pic, &mam);

  llvm::PipelineTuningOptions pto;
  llvm::PassBuilder pb(tm, pto, std::nullopt, &pic);
  if (tm) tm->registerPassBuilderCallbacks(pb);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);

  llvm::ModulePassManager mpm;
  if (auto err = pb.parsePassPipeline(mpm, llvm::StringRef(pipeline.data(), pipeline.size())))
    return make_error(ErrorKind::invalid_pass, fmt::format("'{}': {}", pipeline, error_text(std::move(err))));
  mpm.run(module, mam);

  if (options.verify) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    if (llvm::verifyModule(module, &os)) {
      os.flush();
      return make_error(ErrorKind::verify, fmt::format("pipeline '{}' produced invalid IR: {}", pipeline,
                                                       msg.substr(0, msg.find('\n'))));
    }
  }
  return ok_status();
}

PassLevel pass_level(std::string_view name) {
  // PassBuilder lists its registered names by level; read that once.
  static const std::map<std::string, PassLevel, std::less<>> levels = [] {
    std::map<std::string, PassLevel, std::less<>> out;
    std::string listing;
    llvm::raw_string_ostream os(listing);
    llvm::PassBuilder().printPassNames(os);
    os.flush();
    std::optional<PassLevel> section;
    size_t pos = 0;
    while (pos < listing.size()) {
      size_t nl = listing.find('\n', pos);
      std::string line = listing.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? listing.size() : nl + 1;
      if (line.empty()) continue;
      if (line[0] != ' ') {
        section.reset();
        if (line.find("analyses") != std::string::npos) continue;
        if (line.rfind("Module passes", 0) == 0) section = PassLevel::module;
        else if (line.rfind("CGSCC passes", 0) == 0) section = PassLevel::cgscc;
        else if (line.rfind("Function passes", 0) == 0) section = PassLevel::function;
        else if (line.rfind("Loop passes", 0) == 0 || line.rfind("LoopNest passes", 0) == 0) section = PassLevel::loop;
        continue;
      }
      if (!section) continue;
      std::string name = line.substr(line.find_first_not_of(' '));
      name = name.substr(0, name.find('<'));
      out.emplace(name, *section);  // the first (outermost) level wins
    }
    return out;
  }();
  auto it = levels.find(name);
  return it == levels.end() ? PassLevel::unknown : it->second;
}

uint64_t count_instructions(const llvm::Module& module) { return module.getInstructionCount(); }

const char* opt_level_name(OptLevel level) {
  switch (level) {
    case OptLevel::O0: return "O0";
    case OptLevel::O1: return "O1";
    case OptLevel::O2: return "O2";
    case OptLevel::O3: return "O3";
    case OptLevel::Os: return "Os";
    case OptLevel::Oz: return "Oz";
  }
  return "?";
}

std::string baseline_pipeline(OptLevel level) { return fmt::format("default<{}>", opt_level_name(level)); }

}  // namespace cr1::ir
